"""The observation-review loop and a dose change, in real Chromium on the demo clinic.

1. The therapist logs an observation with missed doses (from the keyboard) -> the
   prescriber finds it flagged at the top of the review queue and marks it reviewed.
2. The prescriber increases a dose -> the therapist sees the change on the patient's
   timeline, with the observations placed after it.

A screenshot of each page is kept in test-artifacts/.
"""

import re

import pytest
from playwright.sync_api import expect

from .conftest import shot, sign_in, sign_out

pytestmark = pytest.mark.browser

JOURNEY_TEXT = "Synthetic journey: missed three doses this week, ran out on Friday."


def open_patient(page, name: str) -> None:
    """From the home page's "what is due" table."""
    page.locator("#caseload").get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name.split(", ")[1])


def test_a_missed_dose_observation_reaches_the_top_of_the_review_queue(page, demo):
    sign_in(page, demo, "therapist")
    expect(page.locator("#caseload")).to_contain_text("Fictional, Emery")
    shot(page, "meds-1-therapist-home")
    open_patient(page, "Fictional, Emery")
    page.get_by_role("link", name="Log an observation").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Log an observation")
    # Sensible defaults: today, shared, the medication last changed already ticked.
    expect(page.get_by_label("Methylphenidate ER 36 mg")).to_be_checked()
    expect(page.get_by_label("Share with the care team")).to_be_checked()
    # From the keyboard: the first answer has the focus; arrows choose; Ctrl+Enter saves.
    expect(page.get_by_label("Not discussed")).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("Missed doses")).to_be_checked()
    page.get_by_label("Note:", exact=True).fill(JOURNEY_TEXT)
    shot(page, "meds-1-therapist-observation-form")
    page.keyboard.press("Control+Enter")
    expect(page.locator(".messages")).to_contain_text("Observation saved")
    newest = page.locator("ul.timeline > li.observation").first
    expect(newest).to_contain_text(JOURNEY_TEXT)
    expect(newest).to_contain_text("Missed doses")
    shot(page, "meds-1-therapist-patient-page")
    sign_out(page)

    sign_in(page, demo, "prescriber")
    page.get_by_role("link", name="Review queue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")
    first_group = page.locator("section.review-group").first
    expect(first_group).to_contain_text("Fictional, Emery")
    top = page.locator("li.qrow").first
    expect(top).to_contain_text(JOURNEY_TEXT)
    expect(top).to_have_class(re.compile(r"\bflagged\b"))
    expect(top.locator(".tag.flag")).to_have_text("Missed doses")
    expect(top).to_contain_text("after Methylphenidate ER started at 36 mg")
    shot(page, "meds-1-prescriber-review-queue")
    waiting = page.locator("li.qrow").count()
    top.get_by_role("button", name="Reviewed").click()
    expect(top).to_contain_text("marked reviewed")
    # The row stays (with Undo) for a few seconds, then leaves the list.
    expect(page.locator("li.qrow")).to_have_count(waiting - 1, timeout=15_000)
    expect(page.get_by_text(JOURNEY_TEXT)).to_have_count(0)
    shot(page, "meds-1-prescriber-review-queue-after")
    sign_out(page)


def test_a_dose_increase_shows_on_the_therapist_s_timeline(page, demo):
    sign_in(page, demo, "prescriber")
    open_patient(page, "Testwell, Alex")
    medications = page.locator("#medications")
    expect(medications).to_contain_text("Sertraline")
    medications.get_by_role("link", name="Change dose").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Change the dose")
    page.get_by_label("Increase the dose").check()
    page.get_by_label("New strength").fill("150 mg")
    # The directions start as the old ones and must be restated for the new strength.
    page.get_by_label("New dose and directions").fill("1 tablet (150 mg) in the morning")
    page.get_by_label("Reason").fill("Synthetic journey: residual low mood at 100 mg.")
    shot(page, "meds-2-prescriber-dose-form")
    page.get_by_role("button", name="Change the dose").click()
    expect(page.locator(".messages")).to_contain_text("Dose changed.")
    expect(page.locator("#medications")).to_contain_text("150 mg")
    shot(page, "meds-2-prescriber-patient-page")
    sign_out(page)

    sign_in(page, demo, "therapist")
    open_patient(page, "Testwell, Alex")
    change = page.locator("ul.timeline > li.medication-change.shift").first
    expect(change).to_contain_text("Dose increased")
    expect(change).to_contain_text("Sertraline")
    expect(change).to_contain_text("150 mg")
    expect(change).to_contain_text("residual low mood")
    expect(page.locator("#medications")).to_contain_text("150 mg")
    # The observations before it are read against the earlier increase.
    expect(page.locator("ul.timeline > li.observation").first).to_contain_text(
        "after Sertraline: dose increased to 100 mg"
    )
    change.scroll_into_view_if_needed()
    shot(page, "meds-2-therapist-timeline")
    page.get_by_role("link", name="Medication changes").click()
    expect(page.locator("ul.timeline > li").first).to_contain_text("150 mg")
    shot(page, "meds-2-therapist-timeline-changes-only")
    sign_out(page)
