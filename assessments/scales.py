"""The rating scales, as data: items, answer options, severity bands and safety items.

This is the one place that knows what a PHQ-9 or a GAD-7 is. The form, the scoring
service, the chart and the not-improving list read a :class:`Scale` built from the
entries of ``SCALE_DATA``; adding another summed-item scale is one more entry here, no
new code and no migration (the scale is stored by its code).

Texts are the published PHQ-9 and GAD-7 (Spitzer, Kroenke, Williams and colleagues;
free to reproduce, no permission needed). Only the scored items are asked: the PHQ-9's
closing, unscored question on how difficult the problems made things is left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

# The four answers shared by the PHQ-9 and the GAD-7, scored 0 to 3.
TWO_WEEK_FREQUENCY = (
    (0, "Not at all"),
    (1, "Several days"),
    (2, "More than half the days"),
    (3, "Nearly every day"),
)
# Their LOINC answer codes (LOINC answer list LL358-3, "Not at all / Several days / More
# than half the days / Nearly every day"), by score.
TWO_WEEK_FREQUENCY_LOINC = {0: "LA6568-5", 1: "LA6569-3", 2: "LA6570-1", 3: "LA6571-9"}

SCALE_DATA: list[dict] = [
    {
        "code": "PHQ-9",
        "name": "PHQ-9",
        "title": "Patient Health Questionnaire (depression)",
        "stem": (
            "Over the last 2 weeks, how often have you been bothered by any of the "
            "following problems?"
        ),
        "items": [
            "Little interest or pleasure in doing things",
            "Feeling down, depressed, or hopeless",
            "Trouble falling or staying asleep, or sleeping too much",
            "Feeling tired or having little energy",
            "Poor appetite or overeating",
            "Feeling bad about yourself — or that you are a failure or have let yourself "
            "or your family down",
            "Trouble concentrating on things, such as reading the newspaper or watching television",
            "Moving or speaking so slowly that other people could have noticed? Or the "
            "opposite — being so fidgety or restless that you have been moving around a "
            "lot more than usual",
            "Thoughts that you would be better off dead or of hurting yourself in some way",
        ],
        "options": TWO_WEEK_FREQUENCY,
        # (lowest total, highest total, label), covering 0..max without gaps.
        "bands": [
            (0, 4, "Minimal"),
            (5, 9, "Mild"),
            (10, 14, "Moderate"),
            (15, 19, "Moderately severe"),
            (20, 27, "Severe"),
        ],
        # Items (numbered from 1) whose any answer above "Not at all" raises the urgent
        # safety flag to the care team at once.
        "safety_items": [9],
        # Remission: a total below this. Response: a drop of at least half the baseline.
        "remission_below": 5,
        # LOINC: the panel (form), the total score and each item in order (the LOINC form
        # 44249-1 and answer list LL358-3); the FHIR export codes scores with these.
        "loinc": {
            "panel": ("44249-1", "PHQ-9 quick depression assessment panel [Reported.PHQ]"),
            "total": (
                "44261-6",
                "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]",
            ),
            "items": [
                "44250-9",
                "44255-8",
                "44259-0",
                "44254-1",
                "44251-7",
                "44258-2",
                "44252-5",
                "44253-3",
                "44260-8",
            ],
            "answers": TWO_WEEK_FREQUENCY_LOINC,
        },
    },
    {
        "code": "GAD-7",
        "name": "GAD-7",
        "title": "Generalized Anxiety Disorder scale",
        "stem": (
            "Over the last 2 weeks, how often have you been bothered by the following problems?"
        ),
        "items": [
            "Feeling nervous, anxious or on edge",
            "Not being able to stop or control worrying",
            "Worrying too much about different things",
            "Trouble relaxing",
            "Being so restless that it is hard to sit still",
            "Becoming easily annoyed or irritable",
            "Feeling afraid as if something awful might happen",
        ],
        "options": TWO_WEEK_FREQUENCY,
        "bands": [
            (0, 4, "Minimal"),
            (5, 9, "Mild"),
            (10, 14, "Moderate"),
            (15, 21, "Severe"),
        ],
        "safety_items": [],
        "remission_below": 5,
        # The LOINC form 69737-5; its items share the answer list LL358-3 above.
        "loinc": {
            "panel": ("69737-5", "Generalized anxiety disorder 7 item (GAD-7)"),
            "total": (
                "70274-6",
                "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]",
            ),
            "items": [
                "69725-0",
                "68509-9",
                "69733-4",
                "69734-2",
                "69735-9",
                "69689-8",
                "69736-7",
            ],
            "answers": TWO_WEEK_FREQUENCY_LOINC,
        },
    },
]

# A response is a drop of at least this fraction from the baseline score.
RESPONSE_DROP = 0.5


@dataclass(frozen=True)
class Band:
    low: int
    high: int
    label: str

    @property
    def key(self) -> str:
        """A stable css-friendly name: 'moderately-severe'."""
        return self.label.lower().replace(" ", "-")

    def holds(self, total: int) -> bool:
        return self.low <= total <= self.high


@dataclass(frozen=True)
class LoincCodes:
    """A scale's LOINC codes: the panel and the total as (code, display), one code per
    item in item order, and the answer code of each score."""

    panel: tuple[str, str]
    total: tuple[str, str]
    items: tuple[str, ...]
    answers: dict[int, str]


@dataclass(frozen=True)
class Scale:
    code: str
    name: str
    title: str
    stem: str
    items: tuple[str, ...]
    options: tuple[tuple[int, str], ...]
    bands: tuple[Band, ...]
    safety_items: tuple[int, ...]
    remission_below: int
    loinc: LoincCodes | None = None

    @property
    def max_total(self) -> int:
        return len(self.items) * max(value for value, _ in self.options)

    @property
    def option_values(self) -> frozenset[int]:
        return frozenset(value for value, _ in self.options)

    def option_label(self, value: int) -> str:
        return dict(self.options)[value]

    def band_for(self, total: int) -> Band:
        for band in self.bands:
            if band.holds(total):
                return band
        raise ValueError(f"{self.code}: no band holds {total}.")

    def band_by_label(self, label: str) -> Band | None:
        return next((band for band in self.bands if band.label == label), None)

    def is_safety_positive(self, answers: list[int]) -> bool:
        """Whether any safety item was answered above the lowest option."""
        lowest = min(self.option_values)
        return any(answers[number - 1] > lowest for number in self.safety_items)

    def response_threshold(self, baseline_total: int) -> float:
        """The total at or below which a score counts as a response to treatment."""
        return baseline_total * (1 - RESPONSE_DROP)

    def is_response(self, baseline_total: int, total: int) -> bool:
        return total <= self.response_threshold(baseline_total)

    def is_remission(self, total: int) -> bool:
        return total < self.remission_below

    def client_data(self) -> dict:
        """What the entry page's script needs to show a running total (never trusted)."""
        return {
            "items": len(self.items),
            "bands": [[band.low, band.high, band.label] for band in self.bands],
            "safety_items": list(self.safety_items),
        }


def _build(data: dict) -> Scale:
    scale = Scale(
        code=data["code"],
        name=data["name"],
        title=data["title"],
        stem=data["stem"],
        items=tuple(data["items"]),
        options=tuple(tuple(option) for option in data["options"]),
        bands=tuple(Band(low, high, label) for low, high, label in data["bands"]),
        safety_items=tuple(data.get("safety_items", ())),
        remission_below=data["remission_below"],
        loinc=_loinc(data.get("loinc")),
    )
    _check(scale)
    return scale


def _loinc(data: dict | None) -> LoincCodes | None:
    if data is None:
        return None
    return LoincCodes(
        panel=tuple(data["panel"]),
        total=tuple(data["total"]),
        items=tuple(data["items"]),
        answers=dict(data["answers"]),
    )


def _check(scale: Scale) -> None:
    """Refuse a malformed entry at import time rather than mis-score a patient later."""
    expected = 0
    for band in scale.bands:
        if band.low != expected or band.high < band.low:
            raise ValueError(f"{scale.code}: bands must cover 0..max without gaps.")
        expected = band.high + 1
    if expected - 1 != scale.max_total:
        raise ValueError(f"{scale.code}: the bands end at {expected - 1}, not {scale.max_total}.")
    if any(not 1 <= number <= len(scale.items) for number in scale.safety_items):
        raise ValueError(f"{scale.code}: a safety item is out of range.")
    if scale.loinc is not None:
        if len(scale.loinc.items) != len(scale.items):
            raise ValueError(f"{scale.code}: one LOINC code per item.")
        if set(scale.loinc.answers) != scale.option_values:
            raise ValueError(f"{scale.code}: one LOINC answer code per option.")


@cache
def _registry() -> dict[str, Scale]:
    return {data["code"]: _build(data) for data in SCALE_DATA}


def all_scales() -> list[Scale]:
    """Every scale, in the order of ``SCALE_DATA``."""
    return list(_registry().values())


def get_scale(code: str) -> Scale:
    """The scale with this code; LookupError when there is none."""
    try:
        return _registry()[code]
    except KeyError:
        raise LookupError(f"Unknown scale {code!r}.") from None


def codes() -> list[str]:
    return list(_registry())
