"""Safety alerts: records of their own, raised by a positive PHQ-9 item 9 or by an
observation its author marked "needs the prescriber's attention today".

An alert is a gated record (releases.gate): its author is its source's author and its
category its source's, so exactly those who may read the source read the alert. It is
never dismissed or snoozed; it ends when a clinician acknowledges it with what was done
(an :class:`AlertAcknowledgement`, a gated record of its own whose author is the one who
acknowledged). Escalation steps are rows (:class:`AlertEscalation`), unique per alert
and step, so each step notifies exactly once.
"""

from auditlog.registry import auditlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from guardian.models import UserObjectPermissionBase

from assessments.models import Assessment
from cases.categories import Category
from cases.fixity import FixedOnceWritten
from cases.models import Case, Observation, Patient


class SafetyAlert(FixedOnceWritten):
    class Source(models.TextChoices):
        PHQ9_ITEM9 = "phq9_item9", "PHQ-9 item 9 (thoughts of self-harm) answered above 0"
        OBSERVATION = "observation", "Observation: needs the prescriber's attention today"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="safety_alerts")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="safety_alerts")
    source = models.CharField(max_length=20, choices=Source.choices)
    assessment = models.OneToOneField(
        Assessment, on_delete=models.PROTECT, null=True, blank=True, related_name="safety_alert"
    )
    observation = models.OneToOneField(
        Observation, on_delete=models.PROTECT, null=True, blank=True, related_name="safety_alert"
    )
    # The source's author and category: the gate lets read the alert exactly those who
    # may read its source.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="safety_alerts_raised"
    )
    category = models.CharField(max_length=20, choices=Category.choices)
    # As its source: an alert on a private record stays with its author.
    shared = models.BooleanField(default=True)
    # What raised it, in words (clinical text: masked in the audit log).
    reason = models.TextField(blank=True)
    raised_at = models.DateTimeField(default=timezone.now)
    # Set once, by the acknowledgement; the alert then ends for everyone.
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-raised_at", "-pk"]
        indexes = [
            models.Index(fields=["patient", "acknowledged_at"]),
            models.Index(fields=["acknowledged_at", "raised_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(assessment__isnull=False) & Q(observation__isnull=True))
                | (Q(assessment__isnull=True) & Q(observation__isnull=False)),
                name="safety_alert_one_source",
            )
        ]

    def __str__(self) -> str:
        # No patient, no text: this string reaches logs, the audit trail and disclosures.
        return f"Safety alert #{self.pk} ({self.source})"

    def get_absolute_url(self) -> str:
        return reverse("alerts:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None

    @property
    def source_record(self):
        return self.assessment if self.assessment_id else self.observation

    def clean(self) -> None:
        if self.category and self.category not in Category.values:
            raise ValidationError({"category": "Choose a category a release can cover."})


class SafetyAlertUserObjectPermission(UserObjectPermissionBase):
    """Direct-FK guardian grants: who may read which alert (kept by releases.gate)."""

    content_object = models.ForeignKey(SafetyAlert, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        pass


class AlertAcknowledgement(FixedOnceWritten):
    """What a clinician did about an alert: one per alert, it ends the alert for all."""

    class Action(models.TextChoices):
        CONTACTED = "contacted", "Contacted the patient"
        SAFETY_PLAN = "safety_plan", "Safety plan reviewed"
        EMERGENCY = "emergency", "Emergency services"
        SEEN = "seen", "Seen in session"
        OTHER = "other", "Other"

    # A foreign key (fixed once written, as every hop to a gated record's patient), one
    # per alert by the constraint below.
    alert = models.ForeignKey(
        SafetyAlert, on_delete=models.PROTECT, related_name="acknowledgements"
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="alert_acknowledgements"
    )
    # The alert's category: the acknowledgement reaches who the releases let read what
    # its author writes in that category.
    category = models.CharField(max_length=20, choices=Category.choices)
    shared = models.BooleanField(default=True)  # as the alert
    action = models.CharField(max_length=20, choices=Action.choices)
    note = models.CharField(max_length=500, blank=True)
    acknowledged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-acknowledged_at"]
        constraints = [models.UniqueConstraint(fields=["alert"], name="alert_acknowledged_once")]

    def __str__(self) -> str:
        return f"Acknowledgement of safety alert #{self.alert_id}"

    def get_absolute_url(self) -> str:
        return reverse("alerts:detail", args=[self.alert_id])

    def clean(self) -> None:
        if self.action == self.Action.OTHER and not self.note.strip():
            raise ValidationError({"note": "Say what was done."})


class AlertAcknowledgementUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(AlertAcknowledgement, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        pass


class AlertEscalation(models.Model):
    """One escalation step of an alert not acknowledged in time (no clinical content)."""

    alert = models.ForeignKey(SafetyAlert, on_delete=models.CASCADE, related_name="escalations")
    step = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    # Claimed by the e-mail task in the transaction that sends (reminders' pattern).
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["alert", "step"]
        constraints = [
            models.UniqueConstraint(fields=["alert", "step"], name="alert_escalation_once")
        ]

    def __str__(self) -> str:
        return f"Escalation {self.step} of safety alert #{self.alert_id}"


auditlog.register(SafetyAlert, mask_fields=["reason"], mask_callable="releases.audit.redact")
auditlog.register(AlertAcknowledgement, mask_fields=["note"], mask_callable="releases.audit.redact")
auditlog.register(AlertEscalation)
