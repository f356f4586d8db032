"""The therapist gives a PHQ-9 on a tablet-sized screen; the prescriber's patient page
then shows the new score on the chart, after the dose-increase marker."""

import pytest
from django.utils import timezone

from assessments.models import Assessment
from medications.models import MedicationChange

from .conftest import ARTIFACTS, shot, sign_in, sign_out

pytestmark = pytest.mark.browser


def responder_patient():
    """The demo patient whose scores fell after a dose increase (one in effect: the demo
    also holds an increase entered in error, which the chart leaves out)."""
    increase = (
        MedicationChange.objects.in_effect()
        .filter(
            kind=MedicationChange.Kind.INCREASE,
            medication__patient__cases__assessments__isnull=False,
        )
        .select_related("medication__patient")
        .order_by("-effective_on")
        .first()
    )
    assert increase is not None, "the demo has a dose increase with scores around it"
    return increase.medication.patient, increase


def test_a_new_phq9_lands_on_the_prescribers_chart_after_the_dose_increase(page, demo):
    patient, increase = responder_patient()
    before = Assessment.objects.filter(case__patient=patient, scale="PHQ-9").count()
    today = timezone.localdate().isoformat()

    # The therapist, in session, on a tablet.
    page.set_viewport_size({"width": 820, "height": 1180})
    sign_in(page, demo, "therapist")
    page.goto(f"{demo.url}/cases/patients/{patient.pk}/")
    page.get_by_role("link", name="Give a PHQ-9").click()
    page.wait_for_url("**/give/PHQ-9/")
    for number in range(1, 10):
        answer = "Several days" if number <= 7 else "Not at all"
        page.locator(f'[data-item="{number}"] label', has_text=answer).click()
        if number == 3:
            # The running total shows while the form is filled in.
            assert "unanswered: 4, 5, 6, 7, 8, 9" in page.locator("[data-live-score]").inner_text()
    live = page.locator("[data-live-score]").inner_text()
    assert "7" in live and "Mild" in live
    shot(page, "assessment-journey-phq9-form")
    page.get_by_role("button", name="Save PHQ-9").click()
    page.wait_for_url("**/assessments/*/")
    assert "Total 7 of 27" in page.locator("main").inner_text()
    sign_out(page)

    # The prescriber, on a laptop.
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, demo, "prescriber")
    page.goto(f"{demo.url}/cases/patients/{patient.pk}/")
    chart = page.locator('svg.trend[data-scale="PHQ-9"]')
    points = chart.locator("g.point")
    assert points.count() == before + 1
    new_point = chart.locator(f'g.point[data-date="{today}"]').last
    assert new_point.get_attribute("data-score") == "7"
    marker = chart.locator(
        f'g.marker[data-kind="increase"][data-date="{increase.effective_on.isoformat()}"]'
    )
    assert marker.count() == 1
    # Drawn to the right of the dose-increase marker, on screen as in the markup.
    point_box = new_point.locator("circle").bounding_box()
    marker_box = marker.locator("line").bounding_box()
    assert point_box["x"] > marker_box["x"] + marker_box["width"]
    assert float(new_point.get_attribute("data-x")) > float(marker.get_attribute("data-x"))
    assert float(new_point.get_attribute("data-x")) == max(
        float(x) for x in points.evaluate_all("els => els.map(e => e.dataset.x)")
    )
    chart.scroll_into_view_if_needed()
    shot(page, "assessment-journey-prescriber-chart")
    chart.screenshot(path=str(ARTIFACTS / "assessment-journey-chart.png"))


def test_the_prescribers_review_page_lists_the_non_responder(page, demo):
    sign_in(page, demo, "prescriber")
    page.get_by_role("link", name="Not improving").click()
    rows = page.locator("table.not-improving tbody tr")
    assert rows.count() >= 1
    assert "PHQ-9" in rows.first.inner_text()
    page.goto(f"{demo.url}/medications/review/")
    panel = page.locator("#not-improving")
    assert panel.locator("tbody tr").count() == rows.count()
    shot(page, "assessment-review-not-improving")
