"""The daily journeys by keyboard alone, in Chromium: sign in, log an observation, give a
PHQ-9, mark an observation reviewed, acknowledge a safety alert. Each counts the Tab
presses to its main action (the skip link counts) and holds them to a small number; a
failed save puts the focus on the error summary, whose links lead to the fields; on a
phone, the PHQ-9's sticky score bar never covers the focused answer.
"""

import re

import pytest
from playwright.sync_api import expect

from alerts.models import SafetyAlert
from assessments.models import Assessment
from cases.models import Observation

from .conftest import DEMO_PASSWORD, shot, sign_in
from .test_assessment_journey import responder_patient

pytestmark = pytest.mark.browser

FOCUSED = """() => {
  const el = document.activeElement;
  return {
    tag: el.tagName.toLowerCase(), id: el.id, name: el.name || "", type: el.type || "",
    text: (el.innerText || el.value || "").trim().slice(0, 80),
    summary: el.hasAttribute("data-error-summary"),
  };
}"""


def focused(page) -> dict:
    return page.evaluate(FOCUSED)


def tab_until(page, wanted, limit: int) -> int:
    """Press Tab until ``wanted(focused element)`` holds; the number of presses, at most
    ``limit``."""
    trail = []
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        now = focused(page)
        if wanted(now):
            return presses
        trail.append(now["text"] or now["id"] or now["tag"])
    raise AssertionError(f"not reached in {limit} Tabs; focus went through {trail}")


def skip_to_content(page) -> int:
    """The first Tab of a page reaches the skip link; Enter moves the focus to <main>."""
    assert tab_until(page, lambda el: el["text"] == "Skip to content", 1) == 1
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"
    return 1


def from_the_patient_page(page, demo, patient, link: str, limit: int) -> int:
    """As the therapist on the patient's page: the skip link, Tabs to ``link``, Enter.
    The Tabs it took, the skip link's included; at most ``limit``."""
    sign_in(page, demo, "therapist")
    page.goto(f"{demo.url}/cases/patients/{patient.pk}/")
    tabs = skip_to_content(page)
    tabs += tab_until(page, lambda el: el["text"] == link, limit - 1)
    print(f"{link}: {tabs} Tabs from the top of the patient page")
    page.keyboard.press("Enter")
    return tabs


def test_sign_in_by_keyboard(page, demo):
    page.goto(f"{demo.url}/accounts/login/")
    assert focused(page)["name"] == "username", "the username has the focus on arrival"
    page.keyboard.type("therapist")
    tabs = tab_until(page, lambda el: el["name"] == "password", 1)
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{demo.url}/")
    assert tabs == 1


def test_a_failed_sign_in_puts_the_focus_on_the_error_summary(page, demo):
    page.goto(f"{demo.url}/accounts/login/")
    page.keyboard.type("therapist")
    page.keyboard.press("Tab")
    page.keyboard.type("not the password")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert focused(page)["summary"]
    assert "correct username and password" in focused(page)["text"]


def test_log_an_observation_by_keyboard(page, demo):
    patient, _ = responder_patient()
    before = Observation.objects.filter(case__patient=patient).count()
    from_the_patient_page(page, demo, patient, "Log an observation", 12)
    page.wait_for_url("**/observations/new/")
    # The first answer has the focus on arrival.
    assert focused(page)["name"] == "adherence"

    # Saved with nothing answered: the form says why, and the focus is on what to fix.
    tab_until(page, lambda el: el["text"] == "Save observation", 25)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert focused(page)["summary"], "after a failed save the focus is on the error summary"
    shot(page, "keyboard-observation-errors")

    # From the summary, a few Tabs to the answer; arrows choose; Enter on Save.
    tab_until(page, lambda el: el["name"] == "adherence", 10)
    page.keyboard.press("ArrowDown")
    tab_until(page, lambda el: el["text"] == "Save observation", 25)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/cases/patients/{patient.pk}/")
    assert Observation.objects.filter(case__patient=patient).count() == before + 1


def test_give_a_phq9_by_keyboard_on_a_phone(page, demo):
    patient, _ = responder_patient()
    before = Assessment.objects.filter(case__patient=patient, scale="PHQ-9").count()
    page.set_viewport_size({"width": 390, "height": 844})
    from_the_patient_page(page, demo, patient, "Give a PHQ-9", 30)
    page.wait_for_url("**/give/PHQ-9/")

    # Saved with nothing answered: the focus is on the summary, whose link leads to item 1.
    tabs = skip_to_content(page)
    tabs += tab_until(page, lambda el: el["text"] == "Save PHQ-9", 16)
    # "Hand to the patient"; the date is four stops in Chromium (month, day, year,
    # calendar); nine items, one stop each; the share box; Save.
    assert tabs <= 17
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert focused(page)["summary"]
    page.keyboard.press("Tab")
    assert focused(page)["tag"] == "a"
    page.keyboard.press("Enter")
    assert focused(page)["name"] == "item_1"

    # Nine answers: one Tab per item, an arrow to choose; the score bar never hides them.
    bar = page.locator("[data-live-score]")
    page.keyboard.press("Shift+Tab")
    for number in range(1, 10):
        tab_until(page, lambda el, n=number: el["name"] == f"item_{n}", 2)
        page.keyboard.press("ArrowRight" if number <= 7 else "Space")
        card = page.locator(f'[data-item="{number}"] label:has(input:focus)').bounding_box()
        assert card["y"] + card["height"] <= bar.bounding_box()["y"], (
            f"the score bar covers item {number}'s focused answer"
        )
    shot(page, "keyboard-phq9-phone")
    tab_until(page, lambda el: el["text"] == "Save PHQ-9", 3)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/assessments/[0-9]+/"))
    assert "Total 7 of 27" in page.locator("main").inner_text()
    assert Assessment.objects.filter(case__patient=patient, scale="PHQ-9").count() == before + 1


def test_mark_an_observation_reviewed_by_keyboard(page, demo):
    sign_in(page, demo, "prescriber")
    page.goto(f"{demo.url}/medications/review/")
    tabs = skip_to_content(page)
    tabs += tab_until(page, lambda el: el["text"] == "Reviewed", 11)
    print(f"Reviewed: {tabs} Tabs from the top of the review queue")
    page.keyboard.press("Enter")
    # The row is marked in place (htmx), with its undo; no reload.
    done = page.locator(".review-done").first
    expect(done).to_contain_text("reviewed")
    expect(done.get_by_role("button", name="Undo")).to_be_visible()


def test_acknowledge_a_safety_alert_by_keyboard(page, demo):
    alert = SafetyAlert.objects.get(patient__given_name="Blair", acknowledged_at__isnull=True)
    sign_in(page, demo, "prescriber")
    # The alert banner is the first thing in <main>.
    tabs = skip_to_content(page)
    tabs += tab_until(page, lambda el: el["text"].startswith("Acknowledge"), 3)
    print(f"Acknowledge: {tabs} Tabs from the top of the home page")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/alerts/{alert.pk}/**")
    tabs = skip_to_content(page)
    tabs += tab_until(page, lambda el: el["name"] == "action", 6)
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.type("Phoned; safety plan in place.")
    tabs += tab_until(page, lambda el: el["text"] == "Acknowledge the alert", 1)
    assert tabs <= 8
    with page.expect_navigation():
        page.keyboard.press("Enter")
    alert.refresh_from_db()
    assert alert.acknowledged_at is not None
