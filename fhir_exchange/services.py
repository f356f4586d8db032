"""Writes of the FHIR exchange: the record of what an export read, and (import) staging
an uploaded medication list and adding the chosen medications."""

from __future__ import annotations

import logging

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from releases import gate

from .selectors import PatientRecord

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
