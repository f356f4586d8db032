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
from typing import TypedDict, Unpack

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from cases.models import CareTeamMember, Clinician, Patient
from releases import gate

from . import formulary
from .models import FormularyEntry, Medication, MedicationChange, RefillRequest

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
) -> MedicationChange:
    change = MedicationChange(
        medication=medication,
        kind=kind,
        author=author,
        effective_on=effective_on,
        from_value=from_value[:200],
        to_value=to_value[:200],
        reason=reason.strip(),
        switched_to=switched_to,
    )
    change.full_clean()
    change.save()
    return change


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
    medication = Medication(
        patient=patient,
        recorded_by=author,
        formulary_entry=resolved.entry,
        name=resolved.name,
        controlled_schedule=resolved.schedule,
        **fields,
        **attributes,
    )
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
    effective_on: dt.date | None = None,
    reason: str = "",
) -> MedicationChange:
    """The prescriber raises or lowers the dose (an INCREASE or DECREASE change)."""
    medication = Medication.objects.select_for_update().get(pk=medication.pk)
    if kind not in (Kind.INCREASE, Kind.DECREASE):
        raise ValidationError({"kind": "Choose increase or decrease."})
    _require_on_team(medication.patient, author, Role.PRESCRIBER, "changes a dose")
    _require_author(medication, author, "changes its dose")
    _require_prescribed(medication)
    _require_active(medication)
    effective_on = effective_on or timezone.localdate()
    _check_effective_on(medication, effective_on, "effective_on")
    before = medication.dose_summary
    medication.strength = strength.strip()
    medication.directions = directions.strip()
    if frequency is not None:
        medication.frequency = frequency.strip()
    if medication.dose_summary == before:
        raise ValidationError("The new dose is the same as the current one.")
    _save(medication, ["strength", "directions", "frequency"])
    change = _write_change(
        medication=medication,
        kind=kind,
        author=author,
        effective_on=effective_on,
        from_value=before,
        to_value=medication.dose_summary,
        reason=reason,
    )
    gate.grants_for_new_object(change)
    return change


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
    )
    _close_open_requests(medication, author, "The medication was stopped")
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
    _save(medication, changed)

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
