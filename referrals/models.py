"""A referral from a therapist to a prescriber for medication evaluation (the lifecycle
is in ``referrals.services``)."""

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.utils import timezone
from guardian.models import UserObjectPermissionBase

from cases.fixity import FixedOnceWritten
from cases.models import Case, Clinician, Patient


class Referral(FixedOnceWritten):
    """A therapist refers a patient to a prescriber for medication evaluation."""

    class Urgency(models.TextChoices):
        ROUTINE = "routine", "Routine"
        SOON = "soon", "Within two weeks"
        URGENT = "urgent", "Urgent"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="referrals")
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="referrals_made"
    )
    to_prescriber = models.ForeignKey(
        Clinician, on_delete=models.PROTECT, related_name="referrals_received"
    )
    reason = models.TextField()
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.ROUTINE)
    observations = models.TextField("what the therapist has seen", blank=True)
    release = models.ForeignKey(
        "releases.InformationRelease",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
        help_text="The release this referral rests on.",
    )
    release_requested = models.BooleanField(
        default=False, help_text="The clinic admin is asked to prepare a release."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["to_prescriber", "status"]),
            models.Index(fields=["patient", "status"]),
        ]

    def __str__(self) -> str:
        return f"Referral #{self.pk} of {self.created_at:%Y-%m-%d}"


class ReferralUserObjectPermission(UserObjectPermissionBase):
    """Direct-FK guardian grants: who may read which referral (kept by releases.gate)."""

    content_object = models.ForeignKey(Referral, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        pass


# Clinical text is masked in the change log (who changed what and when stays recorded).
auditlog.register(
    Referral,
    mask_fields=["reason", "observations", "decline_reason"],
    mask_callable="releases.audit.redact",
)
