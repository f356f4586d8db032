"""A safety alert from the therapist's PHQ-9 to the prescriber's acknowledgement: the
therapist gives Blair a PHQ-9 with item 9 positive; the prescriber signs in and finds
the alert, with Blair's name, first on the home page and on the review queue, and
acknowledges it with what was done; the therapist then sees it acknowledged."""

import pytest

from alerts.models import SafetyAlert
from cases.models import Patient

from .conftest import shot, sign_in, sign_out

pytestmark = pytest.mark.browser


def test_the_prescriber_acknowledges_blairs_item_9_alert_and_the_therapist_sees_it(page, demo):
    blair = Patient.objects.get(given_name="Blair")
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, demo, "therapist")
    page.goto(f"{demo.url}/cases/patients/{blair.pk}/")
    page.get_by_role("link", name="Give a PHQ-9").click()
    page.wait_for_url("**/give/PHQ-9/")
    for number in range(1, 10):
        answer = "More than half the days" if number == 9 else "Several days"
        page.locator(f'[data-item="{number}"] label', has_text=answer).click()
    page.get_by_role("button", name="Save PHQ-9").click()
    page.wait_for_url("**/assessments/*/")
    alert = SafetyAlert.objects.filter(patient=blair).latest("pk")
    assert alert.is_open
    sign_out(page)

    sign_in(page, demo, "prescriber")
    for url in ("/", "/medications/review/"):
        page.goto(f"{demo.url}{url}")
        banner = page.get_by_test_id("safety-alerts")
        # The first thing on the page, and Blair's name on it.
        first = page.locator("main > *").first
        assert first.get_attribute("data-testid") == "safety-alerts", url
        assert "Sampleton, Blair" in banner.locator(f'li[data-alert="{alert.pk}"]').inner_text()
    shot(page, "alert-journey-review-queue")
    page.goto(f"{demo.url}/")
    shot(page, "alert-journey-prescriber-home")
    page.locator(f'li[data-alert="{alert.pk}"]').get_by_role("link", name="Acknowledge").click()
    page.wait_for_url(f"**/alerts/{alert.pk}/**")
    page.get_by_label("Contacted the patient").check()
    page.get_by_label("Note").fill("Phoned Blair; safety plan in place, seen tomorrow.")
    shot(page, "alert-journey-acknowledge")
    page.get_by_role("button", name="Acknowledge the alert").click()
    page.wait_for_url(f"{demo.url}/")
    assert page.locator(f'li[data-alert="{alert.pk}"]').count() == 0
    sign_out(page)

    sign_in(page, demo, "therapist")
    assert page.locator(f'li[data-alert="{alert.pk}"]').count() == 0
    page.goto(f"{demo.url}/cases/patients/{blair.pk}/")
    timeline = page.locator("ul.timeline")
    entry = timeline.locator("[data-acknowledgement]").first
    assert "Contacted the patient" in entry.inner_text()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{demo.url}{alert.get_absolute_url()}")
    assert "Phoned Blair" in page.locator("main").inner_text()
    shot(page, "alert-journey-therapist-phone")
