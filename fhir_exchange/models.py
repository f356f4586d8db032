"""The staging table of the import: an uploaded medication list waiting for the
clinician's choice.

A preview belongs to the clinician who uploaded it and is shown only to them, never
shared, so it is not a gated kind: it is read by ``selectors.access_import_by_id``
(its uploader, who must still be on the patient's care team, within
``IMPORT_PREVIEW_HOURS``). Nothing reaches the medication list until the uploader
confirms; the confirmation adds what they chose through the medications services.
"""

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from cases.models import Patient


class MedicationImport(models.Model):
    class Status(models.TextChoices):
        PREVIEW = "preview", "Waiting for confirmation"
        CONFIRMED = "confirmed", "Added to the medication list"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    # One entry per medication of the upload: what was read and matched, its problems
    # (fhir_exchange.importing.Candidate). The raw file is not kept.
    entries = models.JSONField(default=list)
    # Why the file's own Patient looks like someone else (the uploader must confirm).
    warnings = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The 1-based indices of the entries added, and the ids of the medications written.
    added = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-uploaded_at"]
        indexes = [models.Index(fields=["uploaded_by", "status"])]

    def __str__(self) -> str:
        return f"Medication import #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("fhir:import_preview", args=[self.pk])


# The entries are clinical: the change log says they changed, not what they hold.
auditlog.register(
    MedicationImport,
    mask_fields=["entries", "warnings", "added"],
    mask_callable="releases.audit.redact",
)
