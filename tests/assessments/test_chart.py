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


def started_raised_and_scored(world):
    """A medication started 60 days ago and raised 30 days ago, and three PHQ-9s."""
    today = timezone.localdate()
    medication = start_medication(world, today - dt.timedelta(days=60))
    change_dose(world, medication, today - dt.timedelta(days=30), "20 mg")
    for days, total in ((60, 18), (30, 16), (1, 8)):
        give(world, total, today - dt.timedelta(days=days))
    return medication


def test_the_patient_chart_draws_only_the_changes_the_reader_may_read(shared_world):
    world = shared_world
    started_raised_and_scored(world)
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


# --- the medication lane ----------------------------------------------------------------


def lane_change(days_ago, kind, medication_id=1, name="Testamine", strength="", **more):
    return charts.LaneChange(
        effective_on=TODAY - dt.timedelta(days=days_ago),
        kind=kind,
        medication_id=medication_id,
        name=name,
        strength=strength,
        **more,
    )


def chart_of(points=None, markers=()):
    return charts.build_trend(PHQ9, points or ten_scores(), list(markers), today=TODAY)


def bars(svg) -> list[ET.Element]:
    return groups(svg, "lane-bar")


def test_the_lane_draws_each_dose_as_a_piece_higher_for_a_higher_dose():
    chart = chart_of()
    changes = [
        lane_change(120, "start", strength="10 mg"),
        lane_change(60, "increase", strength="20 mg"),
        lane_change(20, "stop"),
    ]
    lanes = charts.build_lanes(changes, start=chart.start, end=chart.end)
    (lane,) = lanes
    assert [(s.strength, s.ends_with) for s in lane.segments] == [
        ("10 mg", "increase"),
        ("20 mg", "stop"),
    ]
    svg = charts.render_lane_svg(chart, lanes)
    low, high = bars(svg)
    heights = [float(bar.find(f"{SVG}rect").get("height")) for bar in (low, high)]
    assert heights[0] < heights[1]
    # The same time axis as the chart above: the increase sits where its marker would.
    frame_x = charts._Frame(chart).x(TODAY - dt.timedelta(days=60))
    assert float(high.get("data-x1")) == frame_x
    assert "stopped" in high.find(f"{SVG}title").text
    assert all(bar.get("tabindex") == "0" for bar in (low, high))


def test_a_switch_ends_one_bar_and_starts_the_other_medication():
    chart = chart_of()
    changes = [
        lane_change(120, "start", strength="10 mg"),
        lane_change(50, "switch", target_id=2, target_name="Otherazine", target_strength="150 mg"),
    ]
    lanes = charts.build_lanes(changes, start=chart.start, end=chart.end)
    assert [lane.name for lane in lanes] == ["Testamine", "Otherazine"]
    assert lanes[0].segments[-1].ends_with == "switch"
    assert lanes[1].segments[0].strength == "150 mg"
    assert lanes[1].segments[0].end == chart.end  # still taken


def test_lane_labels_are_11px_inside_their_bar_and_long_names_are_cut_with_the_full_name_kept():
    chart = chart_of()
    long_name = "Extraordinarily Long Medication Name Extended Release"
    changes = [
        lane_change(150, "start", name=long_name, strength="10 mg"),
        lane_change(118, "increase", name=long_name, strength="20 mg"),
        lane_change(116, "decrease", name=long_name, strength="15 mg"),  # a two-day piece
    ]
    svg = charts.render_lane_svg(
        chart, charts.build_lanes(changes, start=chart.start, end=chart.end)
    )
    root = parse(svg)
    for bar in bars(svg):
        rect = bar.find(f"{SVG}rect")
        x1, width = float(rect.get("x")), float(rect.get("width"))
        assert long_name in bar.find(f"{SVG}title").text
        label = bar.find(f"{SVG}text")
        if label is None:
            continue  # too short a piece for three characters: the title still names it
        assert float(label.get("font-size")) >= 11
        assert len(label.text) * charts.CHAR_WIDTH <= width  # no label spills over
        assert float(label.get("x")) >= x1
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert any(text.endswith("…") for text in texts)
    assert long_name not in texts


def test_no_changes_no_lane():
    assert charts.render_lane_svg(chart_of(), []) == ""


def test_the_patient_chart_has_its_medication_lane(shared_world):
    world = shared_world
    medication = started_raised_and_scored(world)
    phq9 = selectors.trends_of_patient(world.author.user, world.patient).trends[0]
    lane_bars = bars(phq9.lane_svg)
    assert [bar.get("data-dose") for bar in lane_bars] == ["10 mg", "20 mg"]
    assert all(bar.get("data-medication") == medication.name for bar in lane_bars)
