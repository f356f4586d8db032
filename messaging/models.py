"""Case messaging and notifications."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Notification(models.Model):
    """Something waits for a user. The text never holds PHI (no patient name, no
    medication, no clinical text): it says what kind of thing waits and links to it,
    where the gate decides what the user may see."""

    class Kind(models.TextChoices):
        REFERRAL = "referral", "Referral"
        MESSAGE = "message", "Message"
        QUESTION = "question", "Consult question"
        ANSWER = "answer", "Answer"
        CONFERENCE = "conference", "Case conference"
        REMINDER = "reminder", "Reminder"
        URGENT = "urgent", "Urgent"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = models.CharField(max_length=200)
    url = models.CharField(max_length=300, blank=True)
    # Idempotency: one notification per (recipient, key) when a key is given.
    key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    snoozed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"],
                condition=~Q(key=""),
                name="notification_once_per_key",
            )
        ]

    def __str__(self) -> str:
        return f"Notification #{self.pk} ({self.kind})"


class Reminder(models.Model):
    """A reminder is a row first: sweeps create it (unique per kind, subject, due date and
    recipient), a delivery task claims it (pending -> sending) and marks it sent, and a
    later sweep delivers whatever was never sent."""

    class Kind(models.TextChoices):
        REFILL_DUE = "refill_due", "Refill due"
        LATE_REFILL = "late_refill", "Late refill request"
        CHECKIN_DUE = "checkin_due", "Check-in due"
        QUIET_CASE = "quiet_case", "No recent observation"
        RELEASE_EXPIRING = "release_expiring", "Release expiring"
        CONSULT_WAITING = "consult_waiting", "Consult question waiting"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        RESOLVED = "resolved", "Resolved"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=30, choices=Kind.choices)
    # The subject by label and id ("medications.Medication", 12): reminders point at
    # several kinds of record and never carry their content.
    subject_type = models.CharField(max_length=100)
    subject_id = models.PositiveBigIntegerField()
    due_on = models.DateField()
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    notification = models.OneToOneField(
        Notification, on_delete=models.SET_NULL, null=True, blank=True, related_name="reminder"
    )

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [
            models.Index(fields=["status", "claimed_at"]),
            models.Index(fields=["recipient", "status", "due_on"]),
            models.Index(fields=["subject_type", "subject_id"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_type", "subject_id", "due_on", "recipient"],
                name="reminder_once_per_kind_subject_due_recipient",
            )
        ]

    def __str__(self) -> str:
        return f"Reminder #{self.pk} ({self.kind}, due {self.due_on:%Y-%m-%d})"
