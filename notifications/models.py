"""The Notification row: what waits for whom (the in-app channel)."""

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
        CARE_TEAM = "care_team", "Care team"

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
