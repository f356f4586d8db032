"""The psychotropic formulary: reading the shipped file, keeping the table in step with
it, the clinic's own additions, and the one rule that gives a medication its DEA
schedule.

**Where the data comes from.** ``medications/data/formulary.csv`` (its README says
where each column comes from). The data migration ``0005_load_formulary`` loads it;
after editing the file, ``python manage.py load_formulary`` updates the shipped rows
(``clinic`` empty)
and retires those no longer in the file. A clinic admin adds the clinic's own entries
in the Django admin (Medications > Formulary); shipped rows are read-only there.

**The schedule rule** (:func:`resolve_medication`): a medication that is in the
formulary (chosen from it, or typed under a name the formulary knows: its generic name,
a brand name, or the generic name with a formulation suffix such as "XL") takes the
entry's schedule, and a schedule that contradicts it is refused. A medication that is
not in the formulary ("other") must say its schedule: II-V, or not controlled. A change
of an entry's schedule (the file, or the clinic admin) carries over to every medication
started from it (:func:`formulary_entry_save`), so the late-refill rule and the refill
reminders, which read ``Medication.controlled_schedule``, follow the formulary.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

FORMULARY_CSV = Path(__file__).resolve().parent / "data" / "formulary.csv"

COLUMNS = [
    "generic_name",
    "brand_names",
    "drug_class",
    "dea_schedule",
    "dose_unit",
    "strengths",
    "forms",
    "rxnorm_rxcui",
    "rxnorm_source",
]
SCHEDULES = {"", "II", "III", "IV", "V"}
# Words after a name that name a formulation or a salt, not another medication.
FORMULATION_WORDS = {
    "xl",
    "xr",
    "er",
    "sr",
    "cr",
    "ir",
    "la",
    "cd",
    "dr",
    "odt",
    "hcl",
    "hydrochloride",
    "carbonate",
    "sodium",
    "sulfate",
    "tartrate",
    "mesylate",
}


class FormularyFileError(ValueError):
    """The formulary file cannot be loaded as it is (the message names the row)."""


def read_formulary(path: Path = FORMULARY_CSV) -> list[dict[str, str]]:
    """The rows of the formulary file, checked: known columns, a class and a unit from
    the lists, a schedule of II-V or blank, a numeric RXCUI with its source, no generic
    name twice. Pure (no database), so the data migration can use it."""
    from .models import DoseUnit, DrugClass  # choices only; no query

    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != COLUMNS:
            raise FormularyFileError(f"The columns must be: {', '.join(COLUMNS)}.")
        rows, seen = [], set()
        for number, raw in enumerate(reader, start=2):
            row = {key: (value or "").strip() for key, value in raw.items()}
            row["generic_name"] = " ".join(row["generic_name"].split()).lower()
            problem = _row_problem(row, seen, DrugClass.values, DoseUnit.values)
            if problem:
                raise FormularyFileError(f"Line {number} ({row['generic_name']}): {problem}")
            seen.add(row["generic_name"])
            rows.append(row)
    return rows


def _row_problem(row: dict, seen: set, classes, units) -> str:
    if not row["generic_name"]:
        return "no generic name."
    if row["generic_name"] in seen:
        return "the generic name is listed twice."
    if row["drug_class"] not in classes:
        return f"unknown class {row['drug_class']!r}."
    if row["dea_schedule"] not in SCHEDULES:
        return "the DEA schedule must be II, III, IV, V or blank."
    if row["dose_unit"] not in units:
        return f"unknown dose unit {row['dose_unit']!r}."
    if row["rxnorm_rxcui"] and not row["rxnorm_rxcui"].isdigit():
        return "an RXCUI is a number."
    if row["rxnorm_rxcui"] and not row["rxnorm_source"]:
        return "an RXCUI needs its source."
    return ""


# --- reading the table --------------------------------------------------------------


def formulary_for_clinic(clinic_id: int | None) -> QuerySet:
    """The active entries a clinic prescribes from: the shipped ones and its own."""
    from .models import FormularyEntry

    return FormularyEntry.objects.filter(
        Q(clinic__isnull=True) | Q(clinic_id=clinic_id), active=True
    ).order_by("generic_name")


def _candidates(name: str) -> set[str]:
    words = name.lower().replace(",", " ").split()
    names = {" ".join(words)}
    while len(words) > 1 and words[-1] in FORMULATION_WORDS:
        words = words[:-1]
        names.add(" ".join(words))
    return names


def entry_for_name(clinic_id: int | None, name: str):
    """The active entry a typed name means (generic, brand, or generic with a
    formulation suffix such as 'XL'), or None."""
    wanted = _candidates(name)
    if not wanted - {""}:
        return None
    for entry in formulary_for_clinic(clinic_id):
        names = entry.names() | _candidates(entry.generic_name)
        if wanted & names:
            return entry
    return None


@dataclass(frozen=True)
class Resolved:
    """What a new or renamed medication is: its entry (or None), name and schedule."""

    entry: object | None
    name: str
    schedule: str


def resolve_medication(
    *, clinic_id: int, formulary_entry=None, name: str = "", controlled_schedule: str | None
) -> Resolved:
    """Apply the schedule rule (module docstring). ``controlled_schedule`` None means
    "not said"; "" means "not controlled"."""
    entry = formulary_entry
    name = " ".join((name or "").split())
    if entry is not None:
        if not entry.active or entry.clinic_id not in (None, clinic_id):
            raise ValidationError(
                {"formulary_entry": "Choose a medication from this clinic's formulary."}
            )
    else:
        if not name:
            raise ValidationError(
                {"name": "Choose the medication from the list, or name it under 'Other'."}
            )
        entry = entry_for_name(clinic_id, name)
    if entry is None:
        if controlled_schedule is None:
            raise ValidationError(
                {
                    "controlled_schedule": f"{name} is not in the formulary: say whether it "
                    "is a controlled substance (schedule II-V) or not controlled."
                }
            )
        if controlled_schedule not in SCHEDULES:
            raise ValidationError({"controlled_schedule": "Choose a schedule from the list."})
        return Resolved(entry=None, name=name, schedule=controlled_schedule)
    if controlled_schedule is not None and controlled_schedule != entry.dea_schedule:
        said = f"schedule {entry.dea_schedule}" if entry.dea_schedule else "not controlled"
        raise ValidationError(
            {
                "controlled_schedule": f"{entry.display_name} is {said} in the formulary; "
                "the schedule comes from the formulary and cannot be changed here."
            }
        )
    # A generic name typed with its formulation ("Bupropion XL") keeps what was typed;
    # a brand name, or a pick from the list, gives the generic name.
    typed_generic = name and _candidates(name) & _candidates(entry.generic_name)
    shown = name[:1].upper() + name[1:] if typed_generic else entry.display_name
    return Resolved(entry=entry, name=shown, schedule=entry.dea_schedule)


# --- writing the table ----------------------------------------------------------------


@transaction.atomic
def formulary_entry_save(*, entry) -> None:
    """Save an entry (full_clean) and carry its schedule over to the medications started
    from it, each saved on its own so the audit trail records the change."""
    from .models import Medication

    entry.updated_at = timezone.now()
    entry.full_clean()
    entry.save()
    following = Medication.objects.select_for_update().filter(formulary_entry=entry)
    for medication in following.exclude(controlled_schedule=entry.dea_schedule):
        medication.controlled_schedule = entry.dea_schedule
        medication.updated_at = timezone.now()
        medication.save(update_fields=["controlled_schedule", "updated_at"])


def formulary_load_if_empty() -> None:
    """Load the shipped file when the table has no shipped entry (a database flushed by
    transactional tests, or one created without migrations)."""
    from .models import FormularyEntry

    if not FormularyEntry.objects.filter(clinic__isnull=True).exists():
        formulary_sync(rows=read_formulary())


@dataclass
class SyncResult:
    created: int = 0
    updated: int = 0
    retired: int = 0
    unchanged: int = 0


@transaction.atomic
def formulary_sync(*, rows: list[dict[str, str]]) -> SyncResult:
    """Make the shipped entries match the file's ``rows`` (from :func:`read_formulary`):
    new names are added, changed ones updated (schedules carried over to medications),
    names no longer in the file retired (kept, since medications point at them)."""
    from .models import FormularyEntry

    result = SyncResult()
    shipped = {
        entry.generic_name.lower(): entry
        for entry in FormularyEntry.objects.select_for_update().filter(clinic__isnull=True)
    }
    for row in rows:
        entry = shipped.pop(row["generic_name"], None)
        values = {**{key: row[key] for key in COLUMNS}, "active": True}
        if entry is None:
            formulary_entry_save(entry=FormularyEntry(**values))
            result.created += 1
        elif any(getattr(entry, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(entry, key, value)
            formulary_entry_save(entry=entry)
            result.updated += 1
        else:
            result.unchanged += 1
    for entry in shipped.values():
        if entry.active:
            entry.active = False
            formulary_entry_save(entry=entry)
            result.retired += 1
    return result
