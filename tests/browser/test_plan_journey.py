"""A planned titration, in real Chromium on the demo clinic: the prescriber starts a
medication by typing three letters of its name, plans three steps, and the therapist
sees the plan on the patient's timeline. Screenshots (laptop and phone) in
test-artifacts/."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from .conftest import shot, sign_in, sign_out

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}


def test_the_prescriber_plans_a_titration_and_the_therapist_sees_it(page, demo):
    page.set_viewport_size(LAPTOP)
    sign_in(page, demo, "prescriber")
    page.locator("#caseload").get_by_role("link", name="Testwell, Alex").click()
    page.locator("#medications").get_by_role("link", name="Start a medication").click()
    page.get_by_role("combobox", name="Medication").fill("bus")
    page.get_by_role("option", name="Buspirone").first.click()
    page.get_by_label("Strength").fill("5 mg")
    page.get_by_label("Dose and directions").fill("1 tablet twice daily")
    page.get_by_role("button", name="Start").click()
    expect(page.locator(".messages")).to_contain_text("Medication started.")

    row = page.locator("#medications tr", has_text="Buspirone")
    row.get_by_role("link", name="Plan steps").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Plan a titration or taper")
    today = timezone.localdate()
    for step, (days, strength) in enumerate([(7, "10 mg"), (14, "15 mg"), (21, "20 mg")], 1):
        on = today + dt.timedelta(days=days)
        page.get_by_label(f"Step {step}: takes effect on").fill(on.isoformat())
        page.get_by_label(f"Step {step}: strength").fill(strength)
        page.get_by_label(f"Step {step}: dose and directions").fill(
            f"1 tablet ({strength}) twice daily"
        )
    page.get_by_label("Why this plan").fill("Synthetic journey: titrate to effect.")
    shot(page, "plan-1-prescriber-plan-form")
    page.set_viewport_size(PHONE)
    shot(page, "plan-1-prescriber-plan-form-phone")
    page.set_viewport_size(LAPTOP)
    page.get_by_role("button", name="Plan the steps").click()
    expect(page.locator(".messages")).to_contain_text("Steps planned")
    expect(page.locator("li.planned-step")).to_have_count(3)
    expect(page.locator("li.planned-step").first).to_contain_text("20 mg a day")
    shot(page, "plan-2-prescriber-medication-page")
    sign_out(page)

    sign_in(page, demo, "therapist")
    page.locator("#caseload").get_by_role("link", name="Testwell, Alex").click()
    planned = page.locator("ul.timeline > li.planned-step")
    expect(planned).to_have_count(3)
    expect(planned.first).to_contain_text("Buspirone")
    expect(planned.first).to_contain_text("Planned")
    expect(planned.first).to_contain_text("40 mg a day")  # the latest step first
    expect(page.locator("#medications")).to_contain_text("planned")
    planned.first.scroll_into_view_if_needed()
    shot(page, "plan-3-therapist-timeline")
    page.set_viewport_size(PHONE)
    shot(page, "plan-3-therapist-timeline-phone")
    sign_out(page)
