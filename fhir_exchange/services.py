"""Writes of the FHIR exchange: the record of what an export read, and (import) staging
an uploaded medication list and adding the chosen medications."""

from __future__ import annotations

import datetime as dt
import logging

from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from cases import selectors as case_selectors
from cases.models import Clinician, Patient
from medications import selectors as medication_selectors
from medications import services as medication_services
from medications.models import FormularyEntry, Medication
from releases import gate

from . import importing, imports
from .models import MedicationImport
from .selectors import PatientRecord

Role = Clinician.Role

logger = logging.getLogger("carecollab.fhir")


@transaction.atomic
def export_record_reads(*, user, record: PatientRecord) -> None:
    """Record an export's reads: every clinical row through the gate (an access entry
    each and, read under a release, a disclosure), and an access entry for the patient,
    each case (CareTeam) and each release (Consent) it holds. Three queries at most."""
    gate.record_reads(user, record.gated_rows)
    now = timezone.now()
    rows = [record.patient, *record.cases, *record.releases]
    LogEntry.objects.bulk_create(
        [
            LogEntry(
                content_type=ContentType.objects.get_for_model(row),
                object_pk=str(row.pk),
                object_id=row.pk,
                # No name: the model and the id say what was read.
                object_repr=f"{row._meta.verbose_name} #{row.pk}"[:200],
                action=LogEntry.Action.ACCESS,
                actor=user,
                timestamp=now,
                changes={},
                additional_data={"read_by": "fhir export"},
            )
            for row in rows
        ]
    )
    logger.info(
        "fhir export: user=%s patient=%s clinical_rows=%s",
        user.pk,
        record.patient.pk,
        len(record.gated_rows),
    )


# --- import -------------------------------------------------------------------------


class RecordAs(models.TextChoices):
    """What an imported medication becomes on the patient's list: the prescriber's own
    prescription (``medication_start``), or, recorded by the therapist, a medication
    the patient takes that is prescribed elsewhere (``medication_report``). The
    medications app has no service yet for a prescriber to record an outside
    medication, so a prescriber adds to their own list only."""

    OWN = "own", "My prescription"
    REPORTED = "reported", "Patient-reported"


RECORD_AS_BY_ROLE = {
    Role.PRESCRIBER: [RecordAs.OWN],
    Role.THERAPIST: [RecordAs.REPORTED],
}
IMPORT_REASON = "Imported from an EHR medication list (FHIR)."


def record_as_choices(user) -> list[tuple[str, str]]:
    """What the user may record an imported medication as (first: the default)."""
    clinician = getattr(user, "clinician", None)
    return [(c.value, c.label) for c in RECORD_AS_BY_ROLE.get(getattr(clinician, "role", ""), [])]


def _require_importer(user, patient: Patient) -> None:
    if not record_as_choices(user) or not user.is_active:
        raise PermissionDenied("Only a prescriber or a therapist imports medication lists.")
    if not case_selectors.patients_of_clinician(user).filter(pk=patient.pk).exists():
        raise PermissionDenied("Only the patient's care team imports medication lists.")


@transaction.atomic
def medication_import_stage(*, patient: Patient, uploaded_by, raw: bytes) -> MedicationImport:
    """Read an uploaded FHIR medication list into a preview: each medication matched to
    the formulary, with what it would record or why it cannot be added. No medication
    is written; the file itself is not kept."""
    _require_importer(uploaded_by, patient)
    try:
        candidates, file_patients = importing.read_upload(raw)
    except importing.ImportFileError as error:
        raise ValidationError({"file": str(error)}) from None
    imports.match_formulary(candidates, clinic_id=patient.clinic_id)
    current = list(
        medication_selectors.medications_visible_to(uploaded_by, patient=patient).filter(
            status=Medication.Status.ACTIVE
        )
    )
    gate.record_reads(uploaded_by, current)  # compared with the upload: read
    imports.mark_duplicates(candidates, current)
    preview = MedicationImport(
        patient=patient,
        uploaded_by=uploaded_by,
        entries=[candidate.as_data() for candidate in candidates],
        warnings=importing.other_patient_warnings(patient, file_patients),
    )
    preview.full_clean()
    preview.save()
    logger.info(
        "fhir import staged: user=%s patient=%s import=%s entries=%s choosable=%s",
        uploaded_by.pk,
        patient.pk,
        preview.pk,
        len(candidates),
        sum(1 for candidate in candidates if candidate.choosable),
    )
    return preview


def preview_expired(preview: MedicationImport, now=None) -> bool:
    now = now or timezone.now()
    return preview.uploaded_at < now - dt.timedelta(hours=settings.FHIR_IMPORT_PREVIEW_HOURS)


@transaction.atomic
def medication_import_confirm(
    *, preview: MedicationImport, author, choices: dict[int, str], patient_checked: bool = False
) -> list[Medication]:
    """Add the chosen entries of a preview to the patient's list, each through the
    medications service its choice names (``RecordAs``): all of them, or none when any
    is refused (the messages say which and why). A file whose patient looked like
    someone else needs ``patient_checked``."""
    preview = MedicationImport.objects.select_for_update().get(pk=preview.pk)
    if preview.uploaded_by_id != author.pk:
        raise PermissionDenied("Only whoever uploaded this list confirms it.")
    if preview.status != MedicationImport.Status.PREVIEW:
        raise ValidationError("This list was already added to the medication list.")
    if preview_expired(preview):
        raise ValidationError("This preview has expired: upload the file again.")
    _require_importer(author, preview.patient)
    if not choices:
        raise ValidationError("Choose at least one medication to add.")
    if preview.warnings and not patient_checked:
        raise ValidationError(
            {"patient_checked": "Say that you checked this list is this patient's."}
        )
    allowed = {value for value, _ in record_as_choices(author)}
    candidates = {c.index: c for c in map(importing.Candidate.from_data, preview.entries)}
    entries = FormularyEntry.objects.in_bulk(
        [c.formulary_id for c in candidates.values() if c.formulary_id]
    )
    written, problems = [], []
    for index, record_as in sorted(choices.items()):
        candidate = candidates.get(index)
        if candidate is None or not candidate.choosable:
            problems.append(f"Entry {index} cannot be added.")
            continue
        if record_as not in allowed:
            problems.append(f"Entry {index}: choose how to record it.")
            continue
        try:
            written.append(_add(candidate, RecordAs(record_as), preview.patient, author, entries))
        except (ValidationError, PermissionDenied) as error:
            reasons = getattr(error, "messages", None) or [str(error)]
            problems.append(f"{candidate.formulary_name}: {' '.join(reasons)}")
    if problems:
        # Raising inside the transaction undoes what was already written.
        raise ValidationError(problems)
    preview.status = MedicationImport.Status.CONFIRMED
    preview.confirmed_at = timezone.now()
    preview.added = [
        {"entry": index, "medication": medication.pk}
        for index, medication in zip(sorted(choices), written, strict=True)
    ]
    preview.save(update_fields=["status", "confirmed_at", "added"])
    logger.info(
        "fhir import confirmed: user=%s patient=%s import=%s added=%s",
        author.pk,
        preview.patient_id,
        preview.pk,
        len(written),
    )
    return written


def _add(candidate, record_as: RecordAs, patient: Patient, author, entries) -> Medication:
    fields = {
        "patient": patient,
        "author": author,
        "formulary_entry": entries.get(candidate.formulary_id),
        "name": imports.name_part(candidate.name),
        "strength": candidate.strength,
        "directions": candidate.directions,
        "route": candidate.route,
        "start_date": (
            dt.date.fromisoformat(candidate.start_date) if candidate.start_date else None
        ),
        "reason": IMPORT_REASON,
    }
    if record_as == RecordAs.OWN:
        return medication_services.medication_start(**fields)
    elsewhere = candidate.prescriber or "Listed in an EHR medication list"
    return medication_services.medication_report(prescribed_elsewhere_by=elsewhere, **fields)
