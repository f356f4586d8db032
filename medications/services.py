"""Writes to medication lists and refill requests.

Every service that changes a medication writes exactly one MedicationChange row, so
"what changed when" is a query: start, increase, decrease, switch, stop, fill, and
update (of a patient-reported medication). Who may change what:

- a prescriber on the patient's care team starts medications; the prescriber who
  started one (its author for the release gate) changes its dose, switches, stops it
  and records fills;
- a therapist on the care team records a medication the patient reports taking
  (prescribed elsewhere or over the counter), and updates or stops that entry;
- a therapist asks for a refill of a prescribed medication on the patient's behalf;
  a prescriber on the care team sends it or declines it with a reason.

Views fetch the records through the gate first; these services check roles, the care
team and the state of the record, and grant the new shared rows under the releases
active now (``gate.grants_for_new_object``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TypedDict, Unpack

from auditlog.context import set_actor
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from carecollab.posting import refusal_text
from cases import services as case_services
from cases.models import CareTeamMember, Clinician, Patient
from releases import gate

from . import dosing, formulary
from .models import FormularyEntry, Medication, MedicationChange, PlannedStep, RefillRequest

Kind = MedicationChange.Kind
Role = Clinician.Role

# How far ahead a refill may be asked for: further out it is not a request yet.
REFILL_HORIZON_DAYS = 90


class Prescription(TypedDict, total=False):
    """What a prescriber says when starting a medication (or the new one of a switch):
    one list for both services. ``formulary_entry`` or ``name`` says which medication
    (see ``formulary.resolve_medication``); ``controlled_schedule`` None means "not
    said", which only a medication of the formulary may leave out."""

    formulary_entry: FormularyEntry | None
    name: str
    strength: str
    directions: str
    route: str
    frequency: str
    controlled_schedule: str | None
    units_per_dose: Decimal | None
    doses_per_day: Decimal | None
    quantity: int | None
    days_supply: int | None
    refills_left: int | None


# Fields a therapist records for a medication the patient reports.
REPORTED_FIELDS = (
    "formulary_entry",
    "name",
    "strength",
    "directions",
    "route",
    "frequency",
    "prescribed_elsewhere_by",
    "controlled_schedule",
)


# --- checks -------------------------------------------------------------------------


def _clinician(user) -> Clinician | None:
    return getattr(user, "clinician", None)


def _require_on_team(patient: Patient, user, role: str, action: str) -> Clinician:
    clinician = _clinician(user)
    if clinician is None or clinician.role != role or not user.is_active:
        raise PermissionDenied(f"Only a {Role(role).label.lower()} {action}.")
    on_team = (
        CareTeamMember.objects.writing().filter(case__patient=patient, clinician=clinician).exists()
    )
    if not on_team:
        raise PermissionDenied(f"Only the patient's care team {action}.")
    return clinician


def _require_author(medication: Medication, user, action: str) -> None:
    if medication.recorded_by_id != user.pk:
        raise PermissionDenied(f"Only whoever entered this medication {action}.")


def _require_active(medication: Medication) -> None:
    if medication.status != Medication.Status.ACTIVE:
        raise ValidationError("This medication is stopped; start it again instead.")


def _require_prescribed(medication: Medication) -> None:
    if medication.patient_reported:
        raise ValidationError(
            "This medication is patient-reported: it is prescribed outside CareCollab."
        )


def _check_effective_on(medication: Medication, effective_on: dt.date, field: str) -> None:
    if effective_on > timezone.localdate():
        raise ValidationError(
            {field: "Record a change when it happens: the date cannot be in the future."}
        )
    if effective_on < medication.start_date:
        raise ValidationError(
            {
                field: f"The medication started on {medication.start_date:%Y-%m-%d}; the date "
                "cannot be earlier."
            }
        )


def _check_supply(quantity, days_supply, refills_left) -> None:
    errors = {}
    if quantity is not None and not 1 <= quantity <= 10000:
        errors["quantity"] = "Give a quantity between 1 and 10,000."
    if days_supply is not None and not 1 <= days_supply <= 365:
        errors["days_supply"] = "Days of supply must be between 1 and 365."
    if refills_left is not None and not 0 <= refills_left <= 99:
        errors["refills_left"] = "Refills left must be between 0 and 99."
    if errors:
        raise ValidationError(errors)


def _strip(fields: dict) -> dict:
    return {k: v.strip() if isinstance(v, str) else v for k, v in fields.items()}


def _duplicate_active(patient: Patient, name: str, exclude_pk=None) -> Medication | None:
    duplicates = Medication.objects.filter(
        patient=patient, status=Medication.Status.ACTIVE, name__iexact=name.strip()
    )
    if exclude_pk:
        duplicates = duplicates.exclude(pk=exclude_pk)
    return duplicates.first()


def _write_change(
    *,
    medication: Medication,
    kind: str,
    author,
    effective_on: dt.date,
    from_value: str = "",
    to_value: str = "",
    reason: str = "",
    switched_to: Medication | None = None,
    dose_before: dosing.Dose | None = None,
    dose_after: dosing.Dose | None = None,
) -> MedicationChange:
    before = dose_before.daily if dose_before else None
    after = dose_after.daily if dose_after else None
    unit = next((d.unit for d in (dose_after, dose_before) if d and d.daily is not None), "")
    change = MedicationChange(
        medication=medication,
        kind=kind,
        author=author,
        effective_on=effective_on,
        from_value=from_value[:200],
        to_value=to_value[:200],
        reason=reason.strip(),
        switched_to=switched_to,
        daily_dose_before=before,
        daily_dose_after=after,
        dose_unit=unit,
    )
    change.full_clean()
    change.save()
    return change


DOSE_NUMBER_FIELDS = ["strength_amount", "strength_unit", "units_per_dose", "doses_per_day"]


def _set_dose_numbers(
    medication: Medication,
    *,
    units_per_dose: Decimal | None = None,
    doses_per_day: Decimal | None = None,
    fallback: dosing.Dose | None = None,
) -> dosing.Dose:
    """Set the medication's dose numbers from its strength, directions and frequency and
    the numbers given, refusing numbers the text contradicts. What is neither given nor
    read from the text stays as ``fallback`` says (the dose on file, for a change)."""
    read = dosing.dose_from_text(medication.strength, medication.directions, medication.frequency)
    errors = {}
    if units_per_dose is not None and read.per_dose not in (None, units_per_dose):
        errors["units_per_dose"] = (
            f"The directions say {dosing.number(read.per_dose)} per dose: make the quantity "
            "per dose and the directions agree."
        )
    if doses_per_day is not None and read.per_day not in (None, doses_per_day):
        errors["doses_per_day"] = (
            f"The directions or the frequency say {dosing.number(read.per_day)} a day: make "
            "the doses a day and the directions agree."
        )
    if errors:
        raise ValidationError(errors)
    per_dose = next((v for v in (units_per_dose, read.per_dose) if v is not None), None)
    per_day = next((v for v in (doses_per_day, read.per_day) if v is not None), None)
    if fallback is not None:
        per_dose = fallback.per_dose if per_dose is None else per_dose
        per_day = fallback.per_day if per_day is None else per_day
    medication.strength_amount = read.amount
    medication.strength_unit = read.unit
    medication.units_per_dose = per_dose
    medication.doses_per_day = per_day
    return medication.dose


def _check_dose_change(kind: str, before: dosing.Dose, after: dosing.Dose) -> None:
    """An increase raises the total daily dose, a decrease lowers it, in the unit the
    medication is counted in. Applies only when the dose on file is structured."""
    if before.daily is None:
        return
    now = before.daily_display
    if after.amount is None:
        raise ValidationError(
            {
                "strength": f"Give the strength as an amount and a unit, for example 100 "
                f"{before.unit}: the change is checked against the current {now}."
            }
        )
    if after.unit != before.unit:
        raise ValidationError(
            {
                "strength": f"This medication is counted in {before.unit}: give the new "
                f"strength in {before.unit} too."
            }
        )
    if after.per_dose is None:
        raise ValidationError({"units_per_dose": "Say how many are taken each time."})
    if after.per_day is None:
        raise ValidationError({"doses_per_day": "Say how many times a day."})
    new = after.daily_display
    if after.daily == before.daily:
        raise ValidationError(
            f"The new dose is the same as the current one ({now}): a dose change must "
            "change the total daily dose."
        )
    if kind == Kind.INCREASE and after.daily < before.daily:
        raise ValidationError(
            {
                "kind": f"An increase must raise the total daily dose: it is {now} now and "
                f"would be {new}. Choose 'Decrease the dose', or correct the new dose."
            }
        )
    if kind == Kind.DECREASE and after.daily > before.daily:
        raise ValidationError(
            {
                "kind": f"A decrease must lower the total daily dose: it is {now} now and "
                f"would be {new}. Choose 'Increase the dose', or correct the new dose."
            }
        )


def _save(medication: Medication, fields: list[str]) -> None:
    medication.updated_at = timezone.now()
    medication.full_clean()
    medication.save(update_fields=[*fields, "updated_at"])


def _new_medication(*, patient: Patient, author, fields: dict, **attributes) -> Medication:
    """A new medication from what its writer said (``fields``: which medication, its
    dose...), its schedule given by the formulary rule."""
    fields = _strip(fields)
    resolved = formulary.resolve_medication(
        clinic_id=patient.clinic_id,
        formulary_entry=fields.pop("formulary_entry", None),
        name=fields.pop("name", ""),
        controlled_schedule=fields.pop("controlled_schedule", None),
    )
    units_per_dose = fields.pop("units_per_dose", None)
    doses_per_day = fields.pop("doses_per_day", None)
    medication = Medication(
        patient=patient,
        recorded_by=author,
        formulary_entry=resolved.entry,
        name=resolved.name,
        controlled_schedule=resolved.schedule,
        **fields,
        **attributes,
    )
    _set_dose_numbers(medication, units_per_dose=units_per_dose, doses_per_day=doses_per_day)
    medication.full_clean()
    if _duplicate_active(patient, medication.name):
        raise ValidationError(
            {
                "name": "This medication is already on the patient's active list: change it "
                "there instead of adding it twice."
            }
        )
    medication.save()
    return medication


# --- prescriber ---------------------------------------------------------------------


@transaction.atomic
def medication_start(
    *,
    patient: Patient,
    author,
    start_date: dt.date | None = None,
    filled_on: dt.date | None = None,
    reason: str = "",
    **prescription: Unpack[Prescription],
) -> Medication:
    """A prescriber starts a medication (writes its START change)."""
    prescriber = _require_on_team(patient, author, Role.PRESCRIBER, "prescribes")
    start_date = start_date or timezone.localdate()
    if filled_on and filled_on < start_date:
        raise ValidationError({"filled_on": "The first fill cannot be before the start."})
    medication = _prescribe(
        patient=patient,
        author=author,
        prescriber=prescriber,
        start_date=start_date,
        prescription=prescription,
        last_fill_date=filled_on,
    )
    change = _write_change(
        medication=medication,
        kind=Kind.START,
        author=author,
        effective_on=start_date,
        to_value=medication.dose_summary,
        reason=reason,
        dose_after=medication.dose,
    )
    gate.grants_for_new_object(medication)
    gate.grants_for_new_object(change)
    return medication


def _prescribe(
    *, patient: Patient, author, prescriber: Clinician, start_date, prescription: dict, **attributes
) -> Medication:
    """The new medication of a start or a switch (one list of fields: ``Prescription``)."""
    unknown = set(prescription) - set(Prescription.__annotations__)
    if unknown:
        raise TypeError(f"Unknown prescription fields: {sorted(unknown)}")
    _check_supply(
        prescription.get("quantity"),
        prescription.get("days_supply"),
        prescription.get("refills_left"),
    )
    return _new_medication(
        patient=patient,
        author=author,
        fields=prescription,
        prescriber=prescriber,
        start_date=start_date,
        **attributes,
    )


@transaction.atomic
def medication_change_dose(
    *,
    medication: Medication,
    author,
    kind: str,
    strength: str,
    directions: str,
    frequency: str | None = None,
    units_per_dose: Decimal | None = None,
    doses_per_day: Decimal | None = None,
    effective_on: dt.date | None = None,
    reason: str = "",
) -> MedicationChange:
    """The prescriber raises or lowers the dose (an INCREASE or DECREASE change). An
    increase must raise the total daily dose and a decrease lower it, in the medication's
    unit (when the dose on file is structured); the directions are restated when the
    strength changes."""
    medication = Medication.objects.select_for_update().get(pk=medication.pk)
    if kind not in (Kind.INCREASE, Kind.DECREASE):
        raise ValidationError({"kind": "Choose increase or decrease."})
    _require_on_team(medication.patient, author, Role.PRESCRIBER, "changes a dose")
    _require_author(medication, author, "changes its dose")
    _require_prescribed(medication)
    _require_active(medication)
    effective_on = effective_on or timezone.localdate()
    _check_effective_on(medication, effective_on, "effective_on")
    change = _apply_dose(
        medication,
        author=author,
        kind=kind,
        effective_on=effective_on,
        reason=reason,
        strength=strength,
        directions=directions,
        frequency=frequency,
        units_per_dose=units_per_dose,
        doses_per_day=doses_per_day,
    )
    gate.grants_for_new_object(change)
    return change


def _apply_dose(
    medication: Medication,
    *,
    author,
    kind: str,
    effective_on: dt.date,
    reason: str,
    strength: str,
    directions: str,
    frequency: str | None,
    units_per_dose: Decimal | None,
    doses_per_day: Decimal | None,
) -> MedicationChange:
    """Set a new dose on a locked medication after the rules of a dose change, and write
    its change (the caller checked who and when)."""
    before_summary = medication.dose_summary
    before = medication.dose
    previous = _dose_fields(medication)
    old_strength, old_directions = medication.strength, medication.directions
    medication.strength = strength.strip()
    medication.directions = directions.strip()
    if frequency is not None:
        medication.frequency = frequency.strip()
    after = _set_dose_numbers(
        medication, units_per_dose=units_per_dose, doses_per_day=doses_per_day, fallback=before
    )
    if medication.dose_summary == before_summary and after.daily == before.daily:
        raise ValidationError("The new dose is the same as the current one.")
    _check_dose_change(kind, before, after)
    strength_changed = (after.amount, after.unit) != (before.amount, before.unit) or (
        after.amount is None and medication.strength.lower() != old_strength.lower()
    )
    if strength_changed and medication.directions.lower() == old_directions.lower():
        raise ValidationError(
            {
                "directions": "The strength changed: restate the directions for the new "
                "dose (they still read as they did for the old one)."
            }
        )
    _save(medication, DOSE_TEXT_FIELDS + DOSE_NUMBER_FIELDS)
    change = _write_change(
        medication=medication,
        kind=kind,
        author=author,
        effective_on=effective_on,
        from_value=before_summary,
        to_value=medication.dose_summary,
        reason=reason,
        dose_before=before,
        dose_after=after,
    )
    change.previous_dose = previous
    change.save(update_fields=["previous_dose"])
    return change


DOSE_TEXT_FIELDS = ["strength", "directions", "frequency"]


def _dose_fields(medication: Medication) -> dict:
    """The dose of a medication as JSON (what a dose change replaces)."""
    values = {name: getattr(medication, name) for name in DOSE_TEXT_FIELDS + DOSE_NUMBER_FIELDS}
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in values.items()}


# --- entered in error -------------------------------------------------------------------

# The kinds that can be taken back: a dose change (the dose returns to what it was).
# A start, a switch or a stop changes the list itself: stop or start a medication instead.
UNDOABLE_KINDS = (Kind.INCREASE, Kind.DECREASE)


def may_mark_change_in_error(change: MedicationChange, user) -> bool:
    """Who may mark a medication change entered in error: its author, or the medication's
    prescriber."""
    prescriber = change.medication.prescriber
    return user.is_active and user.pk in (change.author_id, prescriber and prescriber.user_id)


@transaction.atomic
def medication_change_mark_entered_in_error(
    *, change: MedicationChange, author, reason: str
) -> MedicationChange:
    """Its author (or the medication's prescriber) marks a dose change entered in error:
    it stays in the history, struck through, no longer counts, and the dose is back as
    it was before it. Only the latest dose change in effect can be taken back."""
    change = MedicationChange.objects.select_for_update().get(pk=change.pk)
    medication = Medication.objects.select_for_update().get(pk=change.medication_id)
    change.medication = medication
    if not may_mark_change_in_error(change, author):
        raise PermissionDenied("Only who wrote the change, or the prescriber, takes it back.")
    if change.kind not in UNDOABLE_KINDS:
        raise ValidationError(
            "Only a dose change can be marked entered in error: stop a medication started "
            "by mistake, or switch back."
        )
    _require_active(medication)
    later = (
        medication.changes.in_effect()
        .filter(kind__in=UNDOABLE_KINDS)
        .filter(
            Q(effective_on__gt=change.effective_on)
            | Q(effective_on=change.effective_on, created_at__gt=change.created_at)
        )
        .exclude(pk=change.pk)
    )
    if later.exists():
        raise ValidationError(
            "A later dose change is in effect: mark that one entered in error first."
        )
    case_services.mark_entered_in_error(change, by=author, reason=reason)
    previous = change.previous_dose or _dose_from_summary(change.from_value)
    for name in DOSE_TEXT_FIELDS:
        setattr(medication, name, previous.get(name, ""))
    medication.strength_unit = previous.get("strength_unit") or ""
    for name in ("strength_amount", "units_per_dose", "doses_per_day"):
        value = previous.get(name)
        setattr(medication, name, None if value in (None, "") else Decimal(value))
    if not change.previous_dose:
        _set_dose_numbers(medication)
    _save(medication, DOSE_TEXT_FIELDS + DOSE_NUMBER_FIELDS)
    return change


def _dose_from_summary(summary: str) -> dict:
    """A dose from a change's written value ('50 mg · 1 tablet · once daily'), for
    changes written before ``previous_dose`` was kept."""
    parts = (summary.split(" · ") + ["", "", ""])[:3]
    return dict(zip(DOSE_TEXT_FIELDS, parts, strict=True))


@transaction.atomic
def medication_switch(
    *,
    medication: Medication,
    author,
    effective_on: dt.date | None = None,
    reason: str = "",
    **prescription: Unpack[Prescription],
) -> Medication:
    """The prescriber replaces a medication by another: the old one stops, the new one
    starts, and one SWITCH change on the old one points at the new one."""
    medication = Medication.objects.select_for_update().get(pk=medication.pk)
    prescriber = _require_on_team(
        medication.patient, author, Role.PRESCRIBER, "switches a medication"
    )
    _require_author(medication, author, "switches it")
    _require_prescribed(medication)
    _require_active(medication)
    effective_on = effective_on or timezone.localdate()
    _check_effective_on(medication, effective_on, "effective_on")
    entry = prescription.get("formulary_entry")
    new_name = entry.display_name if entry else (prescription.get("name") or "")
    same_entry = entry is not None and entry.pk == medication.formulary_entry_id
    if same_entry or new_name.strip().lower() == medication.name.strip().lower():
        raise ValidationError(
            {"name": "A switch is to another medication; for the same one, change its dose."}
        )
    medication.status = Medication.Status.STOPPED
    medication.stop_date = effective_on
    _save(medication, ["status", "stop_date"])
    replacement = _prescribe(
        patient=medication.patient,
        author=author,
        prescriber=prescriber,
        start_date=effective_on,
        prescription=prescription,
    )
    change = _write_change(
        medication=medication,
        kind=Kind.SWITCH,
        author=author,
        effective_on=effective_on,
        from_value=f"{medication.name} {medication.dose_summary}",
        to_value=f"{replacement.name} {replacement.dose_summary}",
        reason=reason,
        switched_to=replacement,
    )
    _close_open_requests(medication, author, "The medication was switched")
    _cancel_steps(_planned(medication), "The medication was switched.")
    gate.grants_for_new_object(replacement)
    gate.grants_for_new_object(change)
    return replacement


@transaction.atomic
def medication_fill(
    *,
    medication: Medication,
    author,
    filled_on: dt.date,
    quantity: int,
    days_supply: int,
    refills_left: int | None = None,
) -> MedicationChange:
    """The prescriber records that the pharmacy filled the medication (a FILL change);
    the supply counts from this fill."""
    medication = Medication.objects.select_for_update().get(pk=medication.pk)
    _require_on_team(medication.patient, author, Role.PRESCRIBER, "records a fill")
    _require_author(medication, author, "records its fills")
    _require_prescribed(medication)
    _require_active(medication)
    _check_effective_on(medication, filled_on, "filled_on")
    _check_supply(quantity, days_supply, refills_left)
    if medication.last_fill_date and filled_on < medication.last_fill_date:
        raise ValidationError(
            {"filled_on": f"A later fill is on file ({medication.last_fill_date:%Y-%m-%d})."}
        )
    before = _supply_summary(medication)
    medication.last_fill_date = filled_on
    medication.quantity = quantity
    medication.days_supply = days_supply
    medication.refills_left = refills_left
    _save(medication, ["last_fill_date", "quantity", "days_supply", "refills_left"])
    change = _write_change(
        medication=medication,
        kind=Kind.FILL,
        author=author,
        effective_on=filled_on,
        from_value=before,
        to_value=_supply_summary(medication),
    )
    gate.grants_for_new_object(change)
    return change


def _supply_summary(medication: Medication) -> str:
    parts = []
    if medication.quantity:
        parts.append(f"quantity {medication.quantity}")
    if medication.days_supply:
        parts.append(f"{medication.days_supply} days")
    if medication.refills_left is not None:
        refills = medication.refills_left
        parts.append(f"{refills} refill{'' if refills == 1 else 's'} left")
    return ", ".join(parts)


# --- either author --------------------------------------------------------------------


@transaction.atomic
def medication_stop(
    *, medication: Medication, author, stopped_on: dt.date | None = None, reason: str = ""
) -> MedicationChange:
    """Stop a medication (a STOP change): its prescriber for a prescribed one, the
    therapist who recorded it for a patient-reported one. Open refill requests close."""
    medication = Medication.objects.select_for_update().get(pk=medication.pk)
    role = Role.THERAPIST if medication.patient_reported else Role.PRESCRIBER
    _require_on_team(medication.patient, author, role, "stops this medication")
    _require_author(medication, author, "stops it")
    _require_active(medication)
    stopped_on = stopped_on or timezone.localdate()
    _check_effective_on(medication, stopped_on, "stopped_on")
    before = medication.dose_summary
    medication.status = Medication.Status.STOPPED
    medication.stop_date = stopped_on
    _save(medication, ["status", "stop_date"])
    change = _write_change(
        medication=medication,
        kind=Kind.STOP,
        author=author,
        effective_on=stopped_on,
        from_value=before,
        reason=reason,
        dose_before=medication.dose,
    )
    _close_open_requests(medication, author, "The medication was stopped")
    _cancel_steps(_planned(medication), "The medication was stopped.")
    gate.grants_for_new_object(change)
    return change


def _close_open_requests(medication: Medication, author, why: str) -> None:
    now = timezone.now()
    for request in medication.refill_requests.filter(status=RefillRequest.Status.OPEN):
        request.status = RefillRequest.Status.DECLINED
        request.handled_by = author
        request.handled_at = now
        request.decline_reason = f"{why} on {medication.stop_date:%Y-%m-%d}."
        request.full_clean()
        request.save(update_fields=["status", "handled_by", "handled_at", "decline_reason"])


# --- therapist ------------------------------------------------------------------------


@transaction.atomic
def medication_report(
    *,
    patient: Patient,
    author,
    name: str = "",
    strength: str,
    directions: str,
    formulary_entry: FormularyEntry | None = None,
    route: str = Medication.Route.ORAL,
    frequency: str = "",
    prescribed_elsewhere_by: str = "",
    controlled_schedule: str | None = None,
    start_date: dt.date | None = None,
    reason: str = "",
) -> Medication:
    """A therapist records a medication the patient reports taking (a START change)."""
    _require_on_team(patient, author, Role.THERAPIST, "records a patient-reported medication")
    start_date = start_date or timezone.localdate()
    medication = _new_medication(
        patient=patient,
        author=author,
        patient_reported=True,
        start_date=start_date,
        fields={
            "formulary_entry": formulary_entry,
            "name": name,
            "strength": strength,
            "directions": directions,
            "route": route,
            "frequency": frequency,
            "prescribed_elsewhere_by": prescribed_elsewhere_by,
            "controlled_schedule": controlled_schedule,
        },
    )
    change = _write_change(
        medication=medication,
        kind=Kind.START,
        author=author,
        effective_on=start_date,
        to_value=medication.dose_summary,
        reason=reason or "Reported by the patient.",
    )
    gate.grants_for_new_object(medication)
    gate.grants_for_new_object(change)
    return medication


@transaction.atomic
def medication_report_update(
    *,
    medication: Medication,
    author,
    effective_on: dt.date | None = None,
    reason: str = "",
    **fields,
) -> MedicationChange:
    """The therapist updates a patient-reported medication (an UPDATE change naming what
    changed)."""
    medication = Medication.objects.select_for_update().get(pk=medication.pk)
    unknown = set(fields) - set(REPORTED_FIELDS)
    if unknown:
        raise TypeError(f"Unknown medication fields: {sorted(unknown)}")
    if not medication.patient_reported:
        raise ValidationError("Only a patient-reported medication is updated this way.")
    _require_on_team(medication.patient, author, Role.THERAPIST, "updates this medication")
    _require_author(medication, author, "updates it")
    _require_active(medication)
    effective_on = effective_on or timezone.localdate()
    _check_effective_on(medication, effective_on, "effective_on")
    fields = _strip(fields)
    if {"formulary_entry", "name", "controlled_schedule"} & set(fields):
        fields.update(_reresolve(medication, fields))
    changed = [name for name, value in fields.items() if getattr(medication, name) != value]
    if not changed:
        raise ValidationError("Nothing changed.")
    before = {name: getattr(medication, name) for name in changed}
    for name in changed:
        setattr(medication, name, fields[name])
    if "name" in changed and _duplicate_active(medication.patient, medication.name, medication.pk):
        raise ValidationError({"name": "This medication is already on the active list."})
    saved = list(changed)
    if {"strength", "directions", "frequency"} & set(changed):
        _set_dose_numbers(medication)
        saved += DOSE_NUMBER_FIELDS
    _save(medication, saved)

    def describe(values: dict) -> str:
        labels = {name: Medication._meta.get_field(name).verbose_name for name in changed}
        return "; ".join(f"{labels[name]}: {values[name] or '-'}" for name in changed)

    change = _write_change(
        medication=medication,
        kind=Kind.UPDATE,
        author=author,
        effective_on=effective_on,
        from_value=describe(before),
        to_value=describe({name: getattr(medication, name) for name in changed}),
        reason=reason,
    )
    gate.grants_for_new_object(change)
    return change


def _reresolve(medication: Medication, fields: dict) -> dict:
    """Which medication an update names, and its schedule (the formulary rule); an
    unchanged name keeps the schedule on file unless a new one is said."""
    entry = fields.get("formulary_entry")
    name = fields.get("name", "" if entry else medication.name)
    schedule = fields.get("controlled_schedule")
    same_name = entry is None and name.strip().lower() == medication.name.strip().lower()
    if schedule is None and same_name and medication.formulary_entry_id is None:
        schedule = medication.controlled_schedule
    resolved = formulary.resolve_medication(
        clinic_id=medication.patient.clinic_id,
        formulary_entry=entry,
        name=name,
        controlled_schedule=schedule,
    )
    return {
        "formulary_entry": resolved.entry,
        "name": resolved.name,
        "controlled_schedule": resolved.schedule,
    }


# --- refill requests ------------------------------------------------------------------


@transaction.atomic
def refill_request_create(
    *, medication: Medication, requested_by, needed_by: dt.date, note: str = ""
) -> RefillRequest:
    """A therapist asks the prescriber for a refill on the patient's behalf. ``late`` is
    set here, once, by :meth:`RefillRequest.is_late` with the clinic's lead time."""
    medication = (
        Medication.objects.select_for_update()
        .select_related("patient__clinic")
        .get(pk=medication.pk)
    )
    _require_on_team(medication.patient, requested_by, Role.THERAPIST, "requests a refill")
    _require_prescribed(medication)
    _require_active(medication)
    now = timezone.now()
    today = timezone.localdate(now)
    if needed_by < today:
        raise ValidationError({"needed_by": "The date it is needed cannot be in the past."})
    if needed_by > today + dt.timedelta(days=REFILL_HORIZON_DAYS):
        raise ValidationError({"needed_by": f"Ask at most {REFILL_HORIZON_DAYS} days ahead."})
    open_request = medication.refill_requests.filter(status=RefillRequest.Status.OPEN).first()
    if open_request:
        raise ValidationError(
            f"A refill of this medication is already requested (needed by "
            f"{open_request.needed_by:%Y-%m-%d}) and waits for the prescriber."
        )
    request = RefillRequest(
        medication=medication,
        requested_by=requested_by,
        requested_at=now,
        needed_by=needed_by,
        note=note.strip(),
        late=RefillRequest.is_late(
            controlled=medication.is_controlled,
            requested_on=today,
            needed_by=needed_by,
            lead_days=medication.patient.clinic.controlled_refill_lead_days,
        ),
    )
    request.full_clean()
    request.save()
    gate.grants_for_new_object(request)
    return request


def _handle(refill_request: RefillRequest, handler) -> RefillRequest:
    request = (
        RefillRequest.objects.select_for_update()
        .select_related("medication__patient")
        .get(pk=refill_request.pk)
    )
    _require_on_team(
        request.medication.patient, handler, Role.PRESCRIBER, "handles refill requests"
    )
    if request.status != RefillRequest.Status.OPEN:
        raise ValidationError(f"This request is already {request.get_status_display().lower()}.")
    request.handled_by = handler
    request.handled_at = timezone.now()
    return request


@transaction.atomic
def refill_request_send(*, refill_request: RefillRequest, handler) -> RefillRequest:
    """The prescriber sent the refill to the pharmacy."""
    request = _handle(refill_request, handler)
    request.status = RefillRequest.Status.SENT
    request.full_clean()
    request.save(update_fields=["status", "handled_by", "handled_at"])
    return request


@transaction.atomic
def refill_request_decline(*, refill_request: RefillRequest, handler, reason: str) -> RefillRequest:
    """The prescriber declines a refill request, saying why (the therapist reads it)."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why, so the therapist can explain it."})
    request = _handle(refill_request, handler)
    request.status = RefillRequest.Status.DECLINED
    request.decline_reason = reason.strip()
    request.full_clean()
    request.save(update_fields=["status", "handled_by", "handled_at", "decline_reason"])
    return request


# --- planned titrations and tapers ------------------------------------------------------


class StepPlan(TypedDict, total=False):
    """One step of a plan, as the prescriber says it."""

    planned_on: dt.date
    strength: str
    directions: str
    frequency: str
    units_per_dose: Decimal | None
    doses_per_day: Decimal | None


STEP_FIELDS = tuple(StepPlan.__annotations__)
# How far ahead a step may be planned.
PLAN_HORIZON_DAYS = 366


def _check_plan(medication: Medication, steps: list[PlannedStep]) -> None:
    """Check the planned steps in date order, each against the dose before it (the
    medication's now, then the previous step's), by the rules of a dose change; sets
    each step's numbers. A plan needs the dose as numbers: an increase or a decrease is
    then never a guess."""
    today = timezone.localdate()
    if medication.daily_dose is None:
        raise ValidationError(
            "The current dose is not on file as numbers (strength, quantity per dose, doses "
            "a day): change the dose once, then plan the steps."
        )
    scratch = Medication(**{name: getattr(medication, name) for name in DOSE_TEXT_FIELDS})
    for name in DOSE_NUMBER_FIELDS:
        setattr(scratch, name, getattr(medication, name))
    seen: set[dt.date] = set()
    for step in sorted(steps, key=lambda s: s.planned_on):
        label = f"The step of {step.planned_on:%Y-%m-%d}"
        if step.planned_on <= today:
            raise ValidationError(f"{label} is not in the future: plan from tomorrow on.")
        if step.planned_on > today + dt.timedelta(days=PLAN_HORIZON_DAYS):
            raise ValidationError(f"{label} is more than a year ahead.")
        if step.planned_on in seen:
            raise ValidationError(f"Two steps are planned on {step.planned_on:%Y-%m-%d}.")
        seen.add(step.planned_on)
        before, old_strength, old_directions = scratch.dose, scratch.strength, scratch.directions
        scratch.strength, scratch.directions = step.strength.strip(), step.directions.strip()
        scratch.frequency = step.frequency.strip()
        try:
            after = _set_dose_numbers(
                scratch,
                units_per_dose=step.units_per_dose,
                doses_per_day=step.doses_per_day,
                fallback=before,
            )
            kind = Kind.INCREASE if (after.daily or 0) > before.daily else Kind.DECREASE
            _check_dose_change(kind, before, after)
        except ValidationError as error:
            raise ValidationError(f"{label}: {' '.join(error.messages)}") from None
        if old_strength.lower() != scratch.strength.lower() and (
            old_directions.lower() == scratch.directions.lower()
        ):
            raise ValidationError(
                f"{label}: the strength changes, so restate the directions for it."
            )
        step.strength, step.directions, step.frequency = (
            scratch.strength,
            scratch.directions,
            scratch.frequency,
        )
        step.units_per_dose, step.doses_per_day = after.per_dose, after.per_day
        step.daily_dose, step.dose_unit = after.daily, after.unit


def _planned(medication: Medication) -> list[PlannedStep]:
    return list(
        PlannedStep.objects.select_for_update()
        .filter(medication=medication, status=PlannedStep.Status.PLANNED)
        .order_by("planned_on")
    )


def _plan_access(medication: Medication, author, action: str) -> Medication:
    medication = Medication.objects.select_for_update().get(pk=medication.pk)
    _require_on_team(medication.patient, author, Role.PRESCRIBER, action)
    _require_author(medication, author, action)
    _require_prescribed(medication)
    _require_active(medication)
    return medication


@transaction.atomic
def medication_plan_steps(
    *, medication: Medication, author, steps: list[StepPlan], reason: str = ""
) -> list[PlannedStep]:
    """The prescriber plans a titration or a taper: steps (date, dose, directions), each
    checked against the dose before it, that take effect on their dates. Added to the
    steps already planned."""
    medication = _plan_access(medication, author, "plans its doses")
    if not steps:
        raise ValidationError("Plan at least one step: its date, strength and directions.")
    unknown = {name for step in steps for name in step} - set(STEP_FIELDS)
    if unknown:
        raise TypeError(f"Unknown step fields: {sorted(unknown)}")
    new = [
        PlannedStep(
            medication=medication,
            author=author,
            reason=reason.strip(),
            **{"frequency": "", **step},
        )
        for step in steps
    ]
    _check_plan(medication, _planned(medication) + new)
    for step in new:
        step.full_clean()
        step.save()
        gate.grants_for_new_object(step)
    return new


@transaction.atomic
def planned_step_change(*, step: PlannedStep, author, **fields: Unpack[StepPlan]) -> PlannedStep:
    """The prescriber changes a step not yet in effect (the plan is checked again)."""
    step = PlannedStep.objects.select_for_update().get(pk=step.pk)
    medication = _plan_access(step.medication, author, "changes its plan")
    if step.status != PlannedStep.Status.PLANNED:
        raise ValidationError(f"This step is {step.get_status_display().lower()}.")
    unknown = set(fields) - set(STEP_FIELDS)
    if unknown:
        raise TypeError(f"Unknown step fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(step, name, value)
    others = [other for other in _planned(medication) if other.pk != step.pk]
    _check_plan(medication, [*others, step])
    step.updated_at = timezone.now()
    step.full_clean()
    step.save()
    return step


@transaction.atomic
def planned_steps_cancel(*, medication: Medication, author, step: PlannedStep | None = None) -> int:
    """The prescriber cancels one step not yet in effect, or all the remaining ones."""
    medication = _plan_access(medication, author, "cancels its plan")
    steps = _planned(medication)
    if step is not None:
        steps = [s for s in steps if s.pk == step.pk]
        if not steps:
            raise ValidationError("This step is no longer planned.")
    return _cancel_steps(steps, "Cancelled by the prescriber.")


def _cancel_steps(steps: list[PlannedStep], why: str) -> int:
    now = timezone.now()
    for step in steps:
        step.status = PlannedStep.Status.CANCELLED
        step.outcome = why
        step.updated_at = now
        step.save(update_fields=["status", "outcome", "updated_at"])
    return len(steps)


def planned_steps_due(today: dt.date | None = None) -> list[int]:
    """Ids of the planned steps whose date has come (oldest first)."""
    today = today or timezone.localdate()
    return list(
        PlannedStep.objects.filter(status=PlannedStep.Status.PLANNED, planned_on__lte=today)
        .order_by("planned_on", "pk")
        .values_list("pk", flat=True)
    )


def planned_step_take_effect(*, step_id: int, today: dt.date | None = None) -> bool:
    """Make one planned step take effect, once: a conditional claim (one UPDATE from
    planned to done) decides which run does it, so a task that runs twice, or two
    workers, write one change. The change is an INCREASE or DECREASE dated the step's
    day, by the step's author, so the check-in reminders count it like any change. A
    step the medication no longer allows (stopped, dose changed by hand to the same)
    is marked as not applied, saying why. Returns whether a change was written."""
    today = today or timezone.localdate()
    with transaction.atomic():
        claimed = PlannedStep.objects.filter(
            pk=step_id, status=PlannedStep.Status.PLANNED, planned_on__lte=today
        ).update(status=PlannedStep.Status.DONE, updated_at=timezone.now())
        if not claimed:
            return False
        step = PlannedStep.objects.select_related("author").get(pk=step_id)
        medication = Medication.objects.select_for_update().get(pk=step.medication_id)
        with set_actor(step.author):
            try:
                with transaction.atomic():
                    change = _take_effect(step, medication)
            except (ValidationError, PermissionDenied) as error:
                step.status = PlannedStep.Status.NOT_APPLIED
                step.outcome = refusal_text(error)[:300]
                step.save(update_fields=["status", "outcome", "updated_at"])
                return False
            step.change = change
            step.save(update_fields=["change", "updated_at"])
    return True


def _take_effect(step: PlannedStep, medication: Medication) -> MedicationChange:
    # Still the medication's prescriber on the patient's care team, as when planned.
    _require_on_team(medication.patient, step.author, Role.PRESCRIBER, "plans doses")
    _require_active(medication)
    current = medication.daily_dose
    if current is None or step.daily_dose is None:
        raise ValidationError("The dose on file is no longer numbers.")
    kind = Kind.INCREASE if step.daily_dose > current else Kind.DECREASE
    change = _apply_dose(
        medication,
        author=step.author,
        kind=kind,
        effective_on=step.planned_on,
        reason=step.reason or "Planned step.",
        strength=step.strength,
        directions=step.directions,
        frequency=step.frequency,
        units_per_dose=step.units_per_dose,
        doses_per_day=step.doses_per_day,
    )
    gate.grants_for_new_object(change)
    return change
