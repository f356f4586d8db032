"""The review queue by keyboard alone, in real Chromium on the demo clinic.

The prescriber clears three observations with "r", the selection moves on and the list
keeps its place; "u" undoes the last one, which waits again. The screenshots of the
queue (laptop and phone) are kept in docs/ for the README.
"""

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from cases.models import ObservationReview

from .conftest import sign_in

pytestmark = pytest.mark.browser

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def doc_path(name: str) -> Path:
    """Where a screenshot for the README goes (docs/screenshots/)."""
    DOCS.mkdir(parents=True, exist_ok=True)
    return DOCS / f"{name}.png"


def doc_shot(page, name: str) -> None:
    """A screenshot for the README of what is on screen."""
    page.screenshot(path=str(doc_path(name)))


def test_the_prescriber_clears_three_observations_by_keyboard_and_undoes_one(page, demo):
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, demo, "prescriber")
    page.goto(f"{demo.url}/medications/review/")
    rows = page.locator("li.qrow")
    waiting = rows.count()
    assert waiting >= 5, "the demo clinic has enough waiting to clear three"
    ids = [rows.nth(i).get_attribute("data-observation") for i in range(4)]
    # The first row is selected and previewed with the patient's doses and scores.
    expect(rows.first).to_have_class(re.compile(r"\bselected\b"))
    expect(page.locator("#review-preview")).to_contain_text("Current medications")
    expect(page.locator("#review-preview")).to_contain_text("Latest scores")
    doc_shot(page, "review-queue-1366")

    page.keyboard.press("?")
    expect(page.locator("#review-keys")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#review-keys")).to_be_hidden()

    for done in range(3):
        page.keyboard.press("r")
        expect(page.locator(f"#obs-{ids[done]}")).to_contain_text("marked reviewed")
        # The place is kept: the next row is selected, nothing jumps to the top.
        expect(page.locator(f"#obs-{ids[done + 1]}")).to_have_attribute("aria-current", "true")
    expect(page.locator("#review-live")).to_contain_text("Next:")
    prescriber = get_user_model().objects.get(username="prescriber")
    reviewed = set(
        ObservationReview.objects.filter(reviewer=prescriber).values_list(
            "observation_id", flat=True
        )
    )
    assert {int(pk) for pk in ids[:3]} <= reviewed

    page.keyboard.press("u")
    third = page.locator(f"#obs-{ids[2]}")
    expect(third).not_to_have_class(re.compile(r"\bdone\b"))
    expect(third).to_have_attribute("aria-current", "true")
    assert not ObservationReview.objects.filter(
        reviewer=prescriber, observation_id=int(ids[2])
    ).exists()
    # The two reviewed rows leave the list after their undo time; the undone one stays.
    expect(rows).to_have_count(waiting - 2, timeout=15_000)
    expect(third).to_be_visible()


def test_the_queue_on_a_phone_shows_the_preview_beneath_the_selected_row(page, demo):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, demo, "prescriber")
    page.goto(f"{demo.url}/medications/review/")
    second = page.locator("li.qrow").nth(1)
    second.locator(".qmain").click()  # a tap selects; it does not leave the page
    expect(second).to_have_attribute("aria-current", "true")
    expect(second.locator("#review-preview")).to_contain_text("Current medications")
    second.scroll_into_view_if_needed()
    doc_shot(page, "review-queue-390")
