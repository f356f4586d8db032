"""A dose as numbers: strength (amount and unit), quantity per dose and doses a day,
whose product is the total daily dose. Dose changes compare total daily doses, so an
"increase" that lowers the dose is refused.

A medication is *structured* when all of its numbers are known. Prescribers give them
on the forms (the quantity per dose and the doses a day are read from the directions
and the frequency when left empty); rows written before the numbers existed were
parsed by a data migration with the same functions, and what could not be parsed
stays as text: the rules on the numbers apply only where they are known.

Pure functions, no models: the data migration imports them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# The units a strength is written in, by what people type.
STRENGTH_UNITS = {
    "mg": "mg",
    "milligram": "mg",
    "milligrams": "mg",
    "mcg": "mcg",
    "µg": "mcg",
    "ug": "mcg",
    "microgram": "mcg",
    "micrograms": "mcg",
    "g": "g",
    "gram": "g",
    "grams": "g",
    "ml": "mL",
    "unit": "unit",
    "units": "unit",
}

_NUMBER = r"(\d+(?:[.,]\d+)?|\d*\.\d+)"
_STRENGTH = re.compile(rf"^\s*{_NUMBER}\s*([a-zµ]+)\.?\s*$", re.IGNORECASE)
_FRACTIONS = {"½": Decimal("0.5"), "half": Decimal("0.5"), "one": Decimal(1), "two": Decimal(2)}
# A quantity at the start of the directions, not followed by a strength unit ("0.5 mg
# at night" says the strength again, not how many tablets).
_PER_DOSE = re.compile(
    rf"^\s*(?:take\s+)?({_NUMBER[1:-1]}|½|half|one|two)"
    r"(?!\s*(?:mg|mcg|µg|ug|g|grams?|milligrams?|micrograms?|units?)\b)"
    r"\s*(?:a\s+)?(tablets?|tabs?|capsules?|caps?|patch(?:es)?|puffs?|sprays?|ml|drops?)?\b",
    re.IGNORECASE,
)
# Doses a day by the words a frequency is written in; the first that matches wins.
_PER_DAY = [
    (re.compile(r"\b(four times|4 times|qid)\b", re.I), Decimal(4)),
    (re.compile(r"\b(three times|3 times|tid)\b", re.I), Decimal(3)),
    (re.compile(r"\b(twice|two times|2 times|bid|morning and (?:evening|night))\b", re.I), 2),
    (
        re.compile(
            r"\b(once|daily|every day|a day|each day|qd|in the morning|every morning|"
            r"at night|at bedtime|bedtime|nightly|in the evening|qhs)\b",
            re.I,
        ),
        Decimal(1),
    ),
]
MAX_PER_DOSE = Decimal(100)
DAILY_PLACES = Decimal("0.0001")
MAX_PER_DAY = Decimal(24)


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None


def parse_strength(text: str) -> tuple[Decimal, str] | None:
    """'50 mg' -> (50, 'mg'); None for what is not one amount and a known unit
    ('20 mg/ml', '0.5-1 mg')."""
    match = _STRENGTH.match(text or "")
    if not match:
        return None
    unit = STRENGTH_UNITS.get(match.group(2).lower())
    amount = _decimal(match.group(1))
    if unit is None or amount is None or amount <= 0:
        return None
    return amount, unit


def parse_units_per_dose(directions: str) -> Decimal | None:
    """'1 tablet in the morning' -> 1; '½ tablet' -> 0.5; None when it does not start
    with a quantity."""
    match = _PER_DOSE.match(directions or "")
    if not match:
        return None
    word = match.group(1).lower()
    value = _FRACTIONS.get(word) or _decimal(word)
    if value is None or not 0 < value <= MAX_PER_DOSE:
        return None
    return value


def parse_doses_per_day(*texts: str) -> Decimal | None:
    """'twice daily' -> 2; 'in the morning' -> 1; None when no text says it (or a text
    says 'as needed' only)."""
    joined = " ".join(text for text in texts if text)
    for pattern, value in _PER_DAY:
        if pattern.search(joined):
            return Decimal(value)
    return None


@dataclass(frozen=True)
class Dose:
    """One dose as numbers; ``daily`` is None unless all of them are known."""

    amount: Decimal | None
    unit: str
    per_dose: Decimal | None
    per_day: Decimal | None

    @property
    def daily(self) -> Decimal | None:
        if self.amount is None or self.per_dose is None or self.per_day is None:
            return None
        # Four decimal places, as stored (0.125 mg x 0.25 x 1.5 is 0.0469 mg a day).
        daily = (self.amount * self.per_dose * self.per_day).quantize(DAILY_PLACES)
        return daily.normalize()

    @property
    def daily_display(self) -> str:
        """'150 mg a day', or '' when not structured."""
        return daily_display(self.daily, self.unit)


def daily_display(daily: Decimal | None, unit: str) -> str:
    if daily is None:
        return ""
    return f"{number(daily)} {unit} a day"


def number(value: Decimal) -> str:
    """12.50 -> '12.5'; 100 -> '100' (never '1E+2')."""
    text = format(value.normalize(), "f")
    return text


def dose_from_text(
    strength: str,
    directions: str,
    frequency: str = "",
    *,
    per_dose: Decimal | None = None,
    per_day: Decimal | None = None,
) -> Dose:
    """The numbers of a dose from what was typed; explicit ``per_dose`` and ``per_day``
    win over what the directions and the frequency say."""
    parsed = parse_strength(strength)
    amount, unit = parsed if parsed else (None, "")
    if per_dose is None:
        per_dose = parse_units_per_dose(directions)
    if per_day is None:
        per_day = parse_doses_per_day(frequency, directions)
    return Dose(amount=amount, unit=unit, per_dose=per_dose, per_day=per_day)
