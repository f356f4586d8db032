"""The trend chart: one scale's scores over time with the medication changes on the same
time axis, drawn on the server as SVG.

``build_trend`` turns plain values into a :class:`TrendChart` and ``render_trend_svg``
turns that into markup; both are pure (no database, no request), so tests call them
directly. The SVG carries its own colours and text (no stylesheet needed), prints in
colour or grey (bands are named in text, not only by colour), and the page puts a data
table beside it for screen readers.

What is drawn:
- severity bands as background, each named with its range on the right;
- the scores as a line of points (a safety-positive score as a red point with "!");
- each treatment change in the window as a labelled vertical marker;
- the remission line (below the scale's threshold) and the response line (half the
  baseline, see ``trends.baseline_for``: the baseline of the most recent treatment
  change, or the first score shown when no change has one).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from . import trends
from .scales import Scale

# The window opens this many days before the first score, so a change made just before
# the scale was first given is still drawn; and earlier still, to show the last change
# before the first score when it is at most CONTEXT_DAYS older (what the patient was on).
LEAD_DAYS = 28
CONTEXT_DAYS = 182

WIDTH, HEIGHT = 760, 330
LEFT, RIGHT, TOP, BOTTOM = 40, 150, 66, 40
LABEL_ROWS = 3
LABEL_CHARS = 26
CHAR_WIDTH = 6.4  # approximate width of an 11px character, to keep labels apart

BAND_FILLS = ["#e6f4ea", "#f3f7d9", "#fff1d0", "#fde2cc", "#f8d3d3", "#f2c4c4"]
SCORE_COLOUR = "#1f5fa8"
SAFETY_COLOUR = "#a3242a"
MARKER_COLOUR = "#6b2fa0"
REMISSION_COLOUR = "#1d6b3a"
RESPONSE_COLOUR = "#14304f"

KIND_SYMBOLS = {
    "start": "Start",
    "increase": "▲",
    "decrease": "▼",
    "switch": "⇄",
    "stop": "Stop",
}


@dataclass(frozen=True)
class ChartPoint:
    given_on: dt.date
    total: int
    band: str
    safety_flag: bool = False
    pk: int | None = None

    @property
    def band_key(self) -> str:
        return self.band.lower().replace(" ", "-")


@dataclass(frozen=True)
class ChartMarker:
    effective_on: dt.date
    kind: str
    label: str  # short, drawn on the chart
    description: str  # full, in the tooltip and the table
    pk: int | None = None


@dataclass(frozen=True)
class TableRow:
    when: dt.date
    point: ChartPoint | None = None
    marker: ChartMarker | None = None


@dataclass(frozen=True)
class TrendChart:
    scale: Scale
    points: tuple[ChartPoint, ...]
    markers: tuple[ChartMarker, ...]
    start: dt.date
    end: dt.date
    baseline: ChartPoint | None
    baseline_change: ChartMarker | None

    @property
    def response_threshold(self) -> float | None:
        if self.baseline is None:
            return None
        return self.scale.response_threshold(self.baseline.total)

    @property
    def latest(self) -> ChartPoint | None:
        return self.points[-1] if self.points else None

    @property
    def latest_is_response(self) -> bool:
        latest = self.latest
        return (
            self.baseline is not None
            and latest is not self.baseline
            and latest.given_on > self.baseline.given_on
            and self.scale.is_response(self.baseline.total, latest.total)
        )

    @property
    def latest_is_remission(self) -> bool:
        return self.scale.is_remission(self.latest.total)

    def table_rows(self) -> list[TableRow]:
        """Scores and changes in date order (a change before a score of the same day)."""
        rows = [TableRow(marker.effective_on, marker=marker) for marker in self.markers]
        rows += [TableRow(point.given_on, point=point) for point in self.points]
        return sorted(rows, key=lambda row: (row.when, row.point is not None))


def point_from_assessment(assessment) -> ChartPoint:
    return ChartPoint(
        given_on=assessment.given_on,
        total=assessment.total,
        band=assessment.band,
        safety_flag=assessment.safety_flag,
        pk=assessment.pk,
    )


def marker_from_change(change) -> ChartMarker:
    """A chart marker for a MedicationChange (its medication and switch target joined)."""
    name = change.medication.name
    kind = change.kind
    value = change.to_value or change.from_value
    # Dose summaries read "100 mg · 1 tablet in the morning": the strength labels the chart.
    strength = value.split(" · ")[0]
    if kind == "switch":
        target = change.switched_to.name if change.switched_to_id else change.to_value
        label = f"⇄ {name} → {target}"
        description = f"{change.get_kind_display()}: {name} → {target}"
        if change.from_value and change.to_value:
            description = f"{change.get_kind_display()}: {change.from_value} → {change.to_value}"
    else:
        label = (
            f"Stop {name}" if kind == "stop" else f"{KIND_SYMBOLS.get(kind, '')} {name} {strength}"
        )
        description = f"{change.get_kind_display()}: {name}"
        if change.from_value and change.to_value:
            description += f", {change.from_value} → {change.to_value}"
        elif value:
            description += f", {value}"
    return ChartMarker(
        effective_on=change.effective_on,
        kind=kind,
        label=label.strip(),
        description=description,
        pk=change.pk,
    )


def build_trend(
    scale: Scale,
    points: Iterable[ChartPoint],
    markers: Iterable[ChartMarker],
    *,
    today: dt.date,
) -> TrendChart | None:
    """The chart of one scale, or None without scores.

    The window runs from 28 days before the first score (or from just before the last
    change that precedes it, when that change is at most 182 days older than the first
    score) to today; markers outside it are not drawn."""
    points = tuple(sorted(points, key=lambda point: point.given_on))
    if not points:
        return None
    first = points[0].given_on
    start = first - dt.timedelta(days=LEAD_DAYS)
    markers = list(markers)
    context = [
        marker.effective_on
        for marker in markers
        if first - dt.timedelta(days=CONTEXT_DAYS) <= marker.effective_on < start
    ]
    if context:
        start = max(context) - dt.timedelta(days=7)
    end = max(today, points[-1].given_on)
    markers = tuple(
        sorted(
            (marker for marker in markers if start <= marker.effective_on <= end),
            key=lambda marker: marker.effective_on,
        )
    )
    baseline, baseline_change = None, None
    for marker in reversed(markers):
        baseline = trends.baseline_for(points, marker.effective_on)
        if baseline is not None:
            baseline_change = marker
            break
    if baseline is None:
        baseline = points[0]
    return TrendChart(
        scale=scale,
        points=points,
        markers=markers,
        start=start,
        end=end,
        baseline=baseline,
        baseline_change=baseline_change,
    )


# --- rendering ----------------------------------------------------------------------


class _Frame:
    """Maps dates and scores to SVG coordinates."""

    def __init__(self, chart: TrendChart):
        self.chart = chart
        self.plot_w = WIDTH - LEFT - RIGHT
        self.plot_h = HEIGHT - TOP - BOTTOM
        self.days = max((chart.end - chart.start).days, 1)
        self.pad = 8  # px inside the plot on both sides, so edge points show whole

    def x(self, day: dt.date) -> float:
        span = self.plot_w - 2 * self.pad
        return round(LEFT + self.pad + span * (day - self.chart.start).days / self.days, 1)

    def y(self, score: float) -> float:
        top = self.chart.scale.max_total
        score = min(max(score, 0), top)
        return round(TOP + self.plot_h * (1 - score / top), 1)

    @property
    def bottom(self) -> float:
        return TOP + self.plot_h

    @property
    def right(self) -> float:
        return LEFT + self.plot_w


def _text(x, y, content, *, size=11, anchor="start", fill="#1d2430", weight="normal") -> str:
    return (
        f'<text x="{x}" y="{y}" font-size="{size}" text-anchor="{anchor}" fill="{fill}" '
        f'font-weight="{weight}">{escape(content)}</text>'
    )


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _bands(frame: _Frame, avoid: list[float]) -> list[str]:
    """Band rectangles, and each band's name in the right margin, kept clear of the
    target labels (``avoid``: their y positions)."""
    parts = []
    scale = frame.chart.scale
    for index, band in enumerate(scale.bands):
        # A band covers its whole scores: 5-9 is drawn from 4.5 to 9.5.
        top = frame.y(band.high + 0.5)
        bottom = frame.y(band.low - 0.5)
        fill = BAND_FILLS[min(index, len(BAND_FILLS) - 1)]
        parts.append(
            f'<rect class="band" data-band="{escape(band.label)}" x="{LEFT}" y="{top}" '
            f'width="{frame.plot_w}" height="{round(bottom - top, 1)}" fill="{fill}"/>'
        )
        label_y = (top + bottom) / 2 + 4
        for other in avoid:
            if abs(label_y - other) < 13:
                label_y = other + 13 if label_y >= other else other - 13
        parts.append(
            _text(frame.right + 6, round(label_y, 1), f"{band.label} {band.low}–{band.high}")
        )
    return parts


def _y_axis(frame: _Frame) -> list[str]:
    scale = frame.chart.scale
    parts = [
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{frame.bottom}" stroke="#5b6575"/>',
    ]
    ticks = sorted({band.low for band in scale.bands} | {scale.max_total})
    for value in ticks:
        y = frame.y(value)
        parts.append(f'<line x1="{LEFT - 4}" y1="{y}" x2="{LEFT}" y2="{y}" stroke="#5b6575"/>')
        parts.append(_text(LEFT - 7, y + 4, str(value), size=10, anchor="end"))
    return parts


def _month_ticks(start: dt.date, end: dt.date) -> list[dt.date]:
    months = []
    day = dt.date(start.year, start.month, 1)
    while day <= end:
        if day >= start:
            months.append(day)
        day = dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    step = max(1, math.ceil(len(months) / 8))
    return months[::step]


def _x_axis(frame: _Frame) -> list[str]:
    chart = frame.chart
    parts = [
        f'<line x1="{LEFT}" y1="{frame.bottom}" x2="{frame.right}" y2="{frame.bottom}" '
        f'stroke="#5b6575"/>'
    ]
    if frame.days <= 62:
        ticks = [chart.start + dt.timedelta(days=d) for d in range(0, frame.days + 1, 7)]
        labels = [f"{day:%b} {day.day}" for day in ticks]
    else:
        ticks = _month_ticks(chart.start, chart.end)
        labels = [f"{day:%b %Y}" for day in ticks]
    for day, label in zip(ticks, labels, strict=True):
        x = frame.x(day)
        parts.append(
            f'<line x1="{x}" y1="{frame.bottom}" x2="{x}" y2="{frame.bottom + 4}" '
            f'stroke="#5b6575"/>'
        )
        parts.append(_text(x, frame.bottom + 17, label, size=10, anchor="middle"))
    parts.append(
        _text(frame.right, frame.bottom + 33, f"today {chart.end:%Y-%m-%d}", size=10, anchor="end")
    )
    return parts


def _targets(frame: _Frame) -> tuple[list[str], list[float]]:
    """The remission and response lines with their labels in the right margin; returns
    the parts and the labels' y positions."""
    chart = frame.chart
    scale = chart.scale
    parts, label_ys = [], []
    # Remission: "below 5" is drawn between 4 and 5.
    remission_y = frame.y(scale.remission_below - 0.5)
    parts.append(
        f'<g class="target remission"><line x1="{LEFT}" y1="{remission_y}" x2="{frame.right}" '
        f'y2="{remission_y}" stroke="{REMISSION_COLOUR}" stroke-width="1.5" '
        f'stroke-dasharray="2 3"/><title>Remission: a score below {scale.remission_below}'
        f"</title></g>"
    )
    label_ys.append(remission_y + 4)
    parts.append(
        _text(
            frame.right + 6,
            remission_y + 4,
            f"remission < {scale.remission_below}",
            size=10,
            fill=REMISSION_COLOUR,
            weight="600",
        )
    )
    threshold = chart.response_threshold
    if threshold is not None:
        y = frame.y(threshold)
        # Keep the two labels apart when the lines are close.
        label_y = y + 4
        if abs(label_y - label_ys[0]) < 12:
            label_y = label_ys[0] - 12 if y <= remission_y else label_ys[0] + 12
        since = (
            f"the baseline before the change of {chart.baseline_change.effective_on:%Y-%m-%d}"
            if chart.baseline_change
            else "the first score"
        )
        value = f"{threshold:g}"
        parts.append(
            f'<g class="target response"><line x1="{LEFT}" y1="{y}" x2="{frame.right}" '
            f'y2="{y}" stroke="{RESPONSE_COLOUR}" stroke-width="1.5" stroke-dasharray="8 4"/>'
            f"<title>Response: a score of {value} or less, half of {escape(since)} "
            f"({chart.baseline.total} on {chart.baseline.given_on:%Y-%m-%d})</title></g>"
        )
        label_ys.append(label_y)
        parts.append(
            _text(
                frame.right + 6,
                label_y,
                f"response ≤ {value}",
                size=10,
                fill=RESPONSE_COLOUR,
                weight="600",
            )
        )
    return parts, label_ys


def _markers(frame: _Frame) -> list[str]:
    parts = []
    row_ends = [float("-inf")] * LABEL_ROWS
    for marker in frame.chart.markers:
        x = frame.x(marker.effective_on)
        short = _short(marker.label)
        width = len(short) * CHAR_WIDTH
        free = [row for row in range(LABEL_ROWS) if row_ends[row] + 6 <= x]
        row = free[0] if free else min(range(LABEL_ROWS), key=lambda r: row_ends[r])
        row_ends[row] = x + width
        label_y = 14 + row * 17
        anchor, text_x = "start", x + 3
        if x + width > WIDTH - 2:
            anchor, text_x = "end", x - 3
        parts.append(
            f'<g class="marker" data-kind="{escape(marker.kind)}" '
            f'data-date="{marker.effective_on.isoformat()}" data-x="{x}">'
            f"<title>{escape(marker.description)} ({marker.effective_on:%Y-%m-%d})</title>"
            f'<line x1="{x}" y1="{label_y + 3}" x2="{x}" y2="{frame.bottom}" '
            f'stroke="{MARKER_COLOUR}" stroke-width="1.5" stroke-dasharray="5 3"/>'
            + _text(text_x, label_y, short, anchor=anchor, fill=MARKER_COLOUR, weight="600")
            + "</g>"
        )
    return parts


def _points(frame: _Frame) -> list[str]:
    chart = frame.chart
    coords = [(frame.x(p.given_on), frame.y(p.total)) for p in chart.points]
    parts = []
    if len(coords) > 1:
        path = " ".join(f"{x},{y}" for x, y in coords)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{SCORE_COLOUR}" stroke-width="2"/>'
        )
    show_values = len(coords) <= 24
    for point, (x, y) in zip(chart.points, coords, strict=True):
        pk = f' data-assessment="{point.pk}"' if point.pk is not None else ""
        flag = " safety" if point.safety_flag else ""
        title = f"{point.given_on:%Y-%m-%d}: {point.total} ({point.band})"
        if point.safety_flag:
            title += ", safety item positive"
        parts.append(
            f'<g class="point{flag}" data-date="{point.given_on.isoformat()}" '
            f'data-score="{point.total}" data-x="{x}"{pk}><title>{escape(title)}</title>'
        )
        if point.safety_flag:
            parts.append(
                f'<circle cx="{x}" cy="{y}" r="7.5" fill="{SAFETY_COLOUR}" stroke="#fff" '
                f'stroke-width="1.5"/>'
                + _text(x, y + 4, "!", size=11, anchor="middle", fill="#fff", weight="700")
            )
        else:
            parts.append(
                f'<circle cx="{x}" cy="{y}" r="5" fill="{SCORE_COLOUR}" stroke="#fff" '
                f'stroke-width="1.5"/>'
            )
        if show_values:
            parts.append(_text(x, y - 10, str(point.total), size=10, anchor="middle"))
        parts.append("</g>")
    return parts


def describe(chart: TrendChart) -> str:
    """A one-paragraph summary of the chart, for the SVG's accessible description."""
    latest = chart.latest
    changes = len(chart.markers)
    text = (
        f"{len(chart.points)} {chart.scale.name} score{'s' if len(chart.points) != 1 else ''} "
        f"from {chart.points[0].given_on:%Y-%m-%d} to {latest.given_on:%Y-%m-%d}; "
        f"latest {latest.total} ({latest.band}). "
        f"{changes} medication change{'s' if changes != 1 else ''} marked."
    )
    if chart.baseline is not None:
        text += f" Baseline {chart.baseline.total}."
    return text


def render_trend_svg(chart: TrendChart, *, id_prefix: str = "trend") -> SafeString:
    """The chart as an SVG element (every text escaped)."""
    frame = _Frame(chart)
    ident = f"{id_prefix}-{chart.scale.code.lower()}"
    parts: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="trend" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" role="img" aria-labelledby="{ident}-title {ident}-desc" '
        f'data-scale="{escape(chart.scale.code)}">',
        f'<title id="{ident}-title">{escape(chart.scale.name)} scores over time, with '
        f"medication changes</title>",
        f'<desc id="{ident}-desc">{escape(describe(chart))}</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>',
    ]
    targets, target_label_ys = _targets(frame)
    parts += _bands(frame, target_label_ys)
    parts += _y_axis(frame)
    parts += _x_axis(frame)
    parts += targets
    parts += _markers(frame)
    parts += _points(frame)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above went through escape()


# --- the medication lane ------------------------------------------------------------
# Under a chart, on the same time axis: each medication a bar whose height follows its
# dose (relative to that medication's highest dose in the window) and whose label says
# it, from its start (or the window's start) to its stop, switch or today. A dose change
# starts a new piece of the bar; a switch ends the bar and starts the new medication's.

LANE_ROW = 30  # px per medication
LANE_TOP = 6
LANE_MIN_BAR, LANE_MAX_BAR = 14, 24  # an 11 px label fits the lowest dose's bar
LANE_COLOURS = ["#6b2fa0", "#1f7a7a", "#a05a00", "#2f5fa0", "#8a2f5f", "#4f6b1d"]


@dataclass(frozen=True)
class LaneChange:
    """One treatment change as the lane needs it (plain values)."""

    effective_on: dt.date
    kind: str
    medication_id: int
    name: str
    strength: str = ""  # the dose after the change ("100 mg"), or "" for a stop
    target_id: int | None = None  # a switch: the medication switched to
    target_name: str = ""
    target_strength: str = ""
    pk: int | None = None


@dataclass(frozen=True)
class LaneSegment:
    start: dt.date
    end: dt.date
    strength: str
    dose: float | None
    ends_with: str  # "stop", "switch", "increase", "decrease" or "" (still taken)


@dataclass(frozen=True)
class Lane:
    name: str
    segments: tuple[LaneSegment, ...]

    @property
    def max_dose(self) -> float | None:
        doses = [segment.dose for segment in self.segments if segment.dose]
        return max(doses) if doses else None


def _strength_of(value: str) -> str:
    """'100 mg · 1 tablet in the morning' -> '100 mg'."""
    return value.split(" · ")[0].strip()


def _dose_number(strength: str) -> float | None:
    number = ""
    for char in strength:
        if char.isdigit() or (char == "." and number):
            number += char
        elif number:
            break
    try:
        return float(number)
    except ValueError:
        return None


def lane_change_from(change) -> LaneChange:
    """A LaneChange for a MedicationChange (its medication and switch target joined)."""
    target = change.switched_to if change.switched_to_id else None
    target_strength = ""
    if target is not None:
        # to_value reads "<new name> <dose summary>".
        rest = (
            change.to_value[len(target.name) :] if change.to_value.startswith(target.name) else ""
        )
        target_strength = _strength_of(rest) or target.strength
    return LaneChange(
        effective_on=change.effective_on,
        kind=change.kind,
        medication_id=change.medication_id,
        name=change.medication.name,
        strength=_strength_of(change.to_value) if change.kind != "switch" else "",
        target_id=target.pk if target else None,
        target_name=target.name if target else "",
        target_strength=target_strength,
        pk=change.pk,
    )


def build_lanes(changes: Iterable[LaneChange], *, start: dt.date, end: dt.date) -> list[Lane]:
    """The bars of each medication between ``start`` and ``end``, in the order the
    medications were started."""
    open_: dict[int, tuple[dt.date, str]] = {}  # medication -> (since, strength)
    names: dict[int, str] = {}
    pieces: dict[int, list[LaneSegment]] = {}

    def close(medication_id: int, on: dt.date, why: str) -> None:
        if medication_id in open_:
            since, strength = open_.pop(medication_id)
            pieces.setdefault(medication_id, []).append(
                LaneSegment(since, on, strength, _dose_number(strength), why)
            )

    def begin(medication_id: int, name: str, on: dt.date, strength: str) -> None:
        names.setdefault(medication_id, name)
        pieces.setdefault(medication_id, [])
        open_[medication_id] = (on, strength)

    for change in sorted(changes, key=lambda c: c.effective_on):
        if change.kind == "start":
            close(change.medication_id, change.effective_on, "")
            begin(change.medication_id, change.name, change.effective_on, change.strength)
        elif change.kind in ("increase", "decrease"):
            since = open_.get(change.medication_id)
            close(change.medication_id, change.effective_on, change.kind)
            if since is None:  # its start is not readable or not recorded: from the window
                names.setdefault(change.medication_id, change.name)
            begin(change.medication_id, change.name, change.effective_on, change.strength)
        elif change.kind == "stop":
            close(change.medication_id, change.effective_on, "stop")
        elif change.kind == "switch":
            close(change.medication_id, change.effective_on, "switch")
            if change.target_id is not None:
                begin(
                    change.target_id,
                    change.target_name,
                    change.effective_on,
                    change.target_strength,
                )
    for medication_id in list(open_):
        close(medication_id, end, "")
    lanes = []
    for medication_id, segments in pieces.items():
        shown = tuple(
            LaneSegment(max(s.start, start), min(s.end, end), s.strength, s.dose, s.ends_with)
            for s in segments
            if s.end >= start and s.start <= end
        )
        if shown:
            lanes.append(Lane(name=names[medication_id], segments=shown))
    return lanes


def _fit(label: str, width: float) -> str:
    """``label`` cut to what fits in ``width`` px at 11 px, with an ellipsis; "" when not
    even three characters fit."""
    chars = int(width // CHAR_WIDTH)
    if len(label) <= chars:
        return label
    if chars < 3:
        return ""
    return label[: chars - 1] + "…"


def render_lane_svg(chart: TrendChart, lanes: list[Lane], *, id_prefix: str = "lane") -> SafeString:
    """The medication lane under ``chart``: the same width and time axis (an SVG of its
    own, so the chart above keeps its size). Every bar is focusable and carries its full
    text in a <title>; labels are 11 px, inside their bar, cut with an ellipsis."""
    if not lanes:
        return mark_safe("")
    frame = _Frame(chart)
    ident = f"{id_prefix}-{chart.scale.code.lower()}"
    height = LANE_TOP + LANE_ROW * len(lanes) + 4
    parts: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="lane" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="group" aria-labelledby="{ident}-title" '
        f'data-scale="{escape(chart.scale.code)}" '
        f'style="max-width:{WIDTH}px;height:auto;font-family:system-ui,sans-serif">',
        f'<title id="{ident}-title">Medications and doses on the same dates as the '
        f"{escape(chart.scale.name)} chart</title>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#fff"/>',
    ]
    for row, lane in enumerate(lanes):
        colour = LANE_COLOURS[row % len(LANE_COLOURS)]
        middle = LANE_TOP + row * LANE_ROW + LANE_ROW / 2
        parts.append(
            f'<line x1="{LEFT}" y1="{middle}" x2="{frame.right}" y2="{middle}" '
            f'stroke="#e3e7ee" stroke-width="1"/>'
        )
        top_dose = lane.max_dose
        for index, segment in enumerate(lane.segments):
            x1, x2 = frame.x(segment.start), frame.x(segment.end)
            width = max(x2 - x1, 2)
            share = (segment.dose / top_dose) if segment.dose and top_dose else 1
            bar = round(LANE_MIN_BAR + (LANE_MAX_BAR - LANE_MIN_BAR) * share, 1)
            ends = {
                "stop": f", stopped {segment.end:%Y-%m-%d}",
                "switch": f", switched {segment.end:%Y-%m-%d}",
            }.get(segment.ends_with, f" to {segment.end:%Y-%m-%d}")
            full = f"{lane.name} {segment.strength}".strip()
            title = f"{full}: from {segment.start:%Y-%m-%d}{ends}"
            # The name once (its first piece); later pieces say the dose.
            text = full if index == 0 else (segment.strength or lane.name)
            shown = _fit(text, width - 6)
            parts.append(
                f'<g class="lane-bar" tabindex="0" data-medication="{escape(lane.name)}" '
                f'data-dose="{escape(segment.strength)}" data-start="{segment.start.isoformat()}" '
                f'data-end="{segment.end.isoformat()}" data-x1="{x1}" '
                f'data-x2="{round(x1 + width, 1)}">'
                f"<title>{escape(title)}</title>"
                f'<rect x="{x1}" y="{round(middle - bar / 2, 1)}" width="{round(width, 1)}" '
                f'height="{bar}" rx="3" fill="{colour}" fill-opacity="0.85"/>'
            )
            if shown:
                parts.append(
                    _text(
                        round(x1 + 3, 1),
                        round(middle + 4, 1),
                        shown,
                        size=11,
                        fill="#fff",
                        weight="600",
                    )
                )
            parts.append("</g>")
            if segment.ends_with == "stop":
                parts.append(
                    _text(round(x2 + 2, 1), round(middle + 4, 1), "■", size=11, fill=colour)
                )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above went through escape()
