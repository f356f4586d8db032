"""The patient page on a laptop and a phone (the navigation folds), the chart with its
medication lane, and handing the device to the patient for a PHQ-9, in real Chromium on
the demo clinic. Screenshots for the README land in docs/screenshots/."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import DEMO_PASSWORD, sign_in
from .test_review_journey import doc_path, doc_shot

pytestmark = pytest.mark.browser

ALEX = "Testwell, Alex"


def open_alex(page, demo) -> None:
    page.goto(f"{demo.url}/cases/patients/")
    page.get_by_role("link", name=re.compile("Testwell")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Alex")


def test_the_prescriber_s_patient_page_on_a_laptop_and_a_phone(page, demo):
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, demo, "prescriber")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav).to_be_visible()
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    open_alex(page, demo)
    # Medications and the chart first; the care team and releases folded into one line.
    expect(page.locator("#team-and-releases")).not_to_have_attribute("open", "")
    order = page.evaluate(
        "['#medications', '#scores', '#timeline', '#team-and-releases']"
        ".map(s => document.querySelector(s).getBoundingClientRect().top + window.scrollY)"
    )
    assert order[0] < order[1] < order[2], order
    lane = page.locator("#scores svg.lane").first
    expect(lane).to_be_visible()
    expect(lane.locator("g.lane-bar").first).to_have_attribute("tabindex", "0")
    expect(page.locator("#scores details.trend-data").first).not_to_have_attribute("open", "")
    doc_shot(page, "patient-page-1366")
    page.locator("#scores section.trend-block").first.screenshot(
        path=str(doc_path("chart-with-lane-1366"))
    )

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    expect(nav).to_be_hidden()  # folded: the page starts with the patient
    page.evaluate("window.scrollTo(0, 0)")
    doc_shot(page, "patient-page-390")
    page.locator("#scores section.trend-block").first.screenshot(
        path=str(doc_path("chart-with-lane-390"))
    )
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(nav.get_by_role("link", name="Review queue")).to_be_visible()
    nav.get_by_role("link", name="Review queue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")
    # Let the queue's preview load before the test's database goes away.
    expect(page.locator("#review-preview")).to_contain_text("Current medications")


def test_the_hand_over_hides_the_record_and_needs_the_password_to_leave(page, demo):
    page.set_viewport_size({"width": 820, "height": 1180})  # a tablet
    sign_in(page, demo, "therapist")
    open_alex(page, demo)
    patient_url = page.url
    page.locator("#scores").get_by_role("link", name="Give a PHQ-9").click()
    page.get_by_role("button", name="Hand to the patient").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("PHQ-9")
    expect(page.locator('nav[aria-label="Main"]')).to_have_count(0)
    expect(page.get_by_role("button", name="Menu")).to_have_count(0)
    expect(page.get_by_text("Share with the care team")).to_have_count(0)
    # Typing the patient page's address does not leave the hand-over.
    page.goto(patient_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    page.get_by_label("Your password (clinician)").fill("not the password")
    page.get_by_role("button", name="Take the device back").click()
    expect(page.locator("#id_password_error")).to_contain_text("not the password")
    page.get_by_label("Your password (clinician)").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Take the device back").click()
    expect(page).to_have_url(patient_url)
    expect(page.locator('nav[aria-label="Main"]')).to_have_count(1)
