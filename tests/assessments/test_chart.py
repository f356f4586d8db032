"""The trend chart: a pure function from data to SVG, and the patient page's panel."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from assessments import charts, scales, selectors

from .kit import change_dose, give, start_medication

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"
TODAY = dt.date(2026, 6, 15)
PHQ9 = scales.get_scale("PHQ-9")


def parse(svg) -> ET.Element:
    return ET.fromstring(str(svg))  # noqa: S314 - our own markup, in a test


def groups(svg: str, css_class: str) -> list[ET.Element]:
    root = parse(svg)
    return [
        element
        for element in root.iter(f"{SVG}g")
        if css_class in (element.get("class") or "").split()
    ]


def ten_scores() -> list[charts.ChartPoint]:
    totals = [19, 18, 19, 17, 15, 12, 10, 8, 6, 4]
    return [
        charts.ChartPoint(
            given_on=TODAY - dt.timedelta(days=14 * (9 - i)),
            total=total,
            band=PHQ9.band_for(total).label,
            pk=100 + i,
        )
        for i, total in enumerate(totals)
    ]


def marker(days_ago: int, kind: str = "increase", label: str = "▲ Testamine 20 mg"):
    return charts.ChartMarker(
        effective_on=TODAY - dt.timedelta(days=days_ago),
        kind=kind,
        label=label,
        description=f"{kind}: Testamine",
        pk=days_ago,
    )


def test_one_point_per_score_and_one_marker_per_change_in_the_window():
    points = ten_scores()  # from 126 days ago to today
    changes = [marker(130, "start"), marker(84), marker(42, "decrease")]
    outside = marker(400, "start")  # long before the first score: outside the window
    chart = charts.build_trend(PHQ9, points, [*changes, outside], today=TODAY)
    svg = charts.render_trend_svg(chart)
    drawn_points = groups(svg, "point")
    drawn_markers = groups(svg, "marker")
    assert len(drawn_points) == 10
    assert len(drawn_markers) == 3
    assert [g.get("data-date") for g in drawn_markers] == [
        (TODAY - dt.timedelta(days=d)).isoformat() for d in (130, 84, 42)
    ]
    assert [int(g.get("data-score")) for g in drawn_points] == [p.total for p in points]
    # Time runs left to right, on one axis for scores and changes.
    xs = [float(g.get("data-x")) for g in drawn_points]
    assert xs == sorted(xs) and len(set(xs)) == 10
    increase_x = float(drawn_markers[1].get("data-x"))
    assert sum(x > increase_x for x in xs) == 6  # the scores after the change of day -84


def test_the_last_change_before_the_first_score_opens_the_window():
    points = ten_scores()  # the first score is 126 days ago
    changes = [marker(126 + 150, "start"), marker(126 + 100, "switch"), marker(60)]
    chart = charts.build_trend(PHQ9, points, changes, today=TODAY)
    assert [m.effective_on for m in chart.markers] == [
        TODAY - dt.timedelta(days=226),
        TODAY - dt.timedelta(days=60),
    ]
    assert chart.start == TODAY - dt.timedelta(days=233)
    assert len(groups(charts.render_trend_svg(chart), "marker")) == 2
    too_old = charts.build_trend(PHQ9, points, [marker(126 + 183, "start")], today=TODAY)
    assert too_old.markers == ()


def test_the_bands_and_the_targets_are_drawn():
    points = ten_scores()
    chart = charts.build_trend(PHQ9, points, [marker(84)], today=TODAY)
    svg = str(charts.render_trend_svg(chart))
    root = parse(svg)
    bands = [r.get("data-band") for r in root.iter(f"{SVG}rect") if r.get("class") == "band"]
    assert bands == ["Minimal", "Mild", "Moderate", "Moderately severe", "Severe"]
    assert "Moderately severe 15–19" in svg
    # The baseline is the last score on or before the change: 17 at day -84.
    assert chart.baseline.total == 17 and chart.response_threshold == 8.5
    assert "response ≤ 8.5" in svg
    assert "half of the baseline before the change of" in svg
    assert "remission &lt; 5" in svg
    assert len(groups(svg, "response")) == 1 and len(groups(svg, "remission")) == 1
    assert chart.latest_is_remission


def test_without_a_change_the_baseline_is_the_first_score():
    chart = charts.build_trend(PHQ9, ten_scores(), [], today=TODAY)
    assert chart.baseline.total == 19 and chart.baseline_change is None


def test_a_safety_positive_score_is_marked():
    point = charts.ChartPoint(TODAY, 14, "Moderate", safety_flag=True, pk=7)
    svg = charts.render_trend_svg(charts.build_trend(PHQ9, [point], [], today=TODAY))
    (drawn,) = groups(svg, "point")
    assert "safety" in drawn.get("class").split()
    assert "safety item positive" in drawn.find(f"{SVG}title").text


def test_every_text_is_escaped():
    hostile = marker(10, label="<script>alert(1)</script>")
    chart = charts.build_trend(PHQ9, ten_scores(), [hostile], today=TODAY)
    svg = str(charts.render_trend_svg(chart))
    assert "<script>" not in svg
    parse(svg)  # still well-formed


def test_no_scores_no_chart():
    assert charts.build_trend(PHQ9, [], [marker(10)], today=TODAY) is None


def test_the_patient_chart_draws_only_the_changes_the_reader_may_read(shared_world):
    world = shared_world
    today = timezone.localdate()
    medication = start_medication(world, today - dt.timedelta(days=60))
    change_dose(world, medication, today - dt.timedelta(days=30), "20 mg")
    for days, total in ((60, 18), (30, 16), (1, 8)):
        give(world, total, today - dt.timedelta(days=days))
    # The therapist reads the prescriber's changes under the mutual release.
    therapist_view = selectors.trends_of_patient(world.author.user, world.patient)
    phq9 = therapist_view.trends[0]
    assert phq9.scale.code == "PHQ-9"
    assert len(groups(phq9.svg, "point")) == 3
    assert [g.get("data-kind") for g in groups(phq9.svg, "marker")] == ["start", "increase"]
    assert "▲ Testamine 20 mg" in phq9.svg
    assert therapist_view.trends[1].chart is None  # no GAD-7 yet
    # A colleague with no release sees neither the scores nor the changes.
    colleague_view = selectors.trends_of_patient(world.colleague.user, world.patient)
    assert all(trend.chart is None for trend in colleague_view.trends)
    assert colleague_view.changes == []
