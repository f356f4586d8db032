"""Case messaging (threads, consult questions, case conferences) and reminders."""

from auditlog.registry import auditlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from guardian.models import UserObjectPermissionBase

from cases.fixity import FixedOnceWritten
from cases.models import Case


class Message(FixedOnceWritten):
    """One message in a case's thread, shared PHI of the category "messages".

    A plain message or a consult question. A question is open until someone on the
    care team answers it: the answer is a plain message of the same thread, and the
    question keeps a pointer to it (``answer``) and the time it was answered. A message
    may point at one medication or one observation of the same patient; the reader
    sees what it points at only if the gate lets them read that record too.
    """

    class Kind(models.TextChoices):
        MESSAGE = "message", "Message"
        QUESTION = "question", "Consult question"

    class State(models.TextChoices):
        OPEN = "open", "Open"
        ANSWERED = "answered", "Answered"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="case_messages"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MESSAGE)
    body = models.TextField()
    # Questions only: open until answered.
    state = models.CharField(max_length=10, choices=State.choices, blank=True)
    answer = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="answered_question",
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    medication = models.ForeignKey(
        "medications.Medication",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The medication this message is about.",
    )
    observation = models.ForeignKey(
        "cases.Observation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="observation",
        help_text="The observation this message is about.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["case", "created_at"]),
            models.Index(fields=["kind", "state", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="question", state__in=["open", "answered"]) | Q(kind="message", state="")
                ),
                name="message_state_only_for_questions",
            ),
            models.CheckConstraint(
                condition=Q(medication__isnull=True) | Q(observation__isnull=True),
                name="message_points_at_one_record",
            ),
        ]

    def __str__(self) -> str:
        # No text: this string reaches logs, the audit trail and the disclosure list.
        label = "Consult question" if self.kind == self.Kind.QUESTION else "Message"
        return f"{label} #{self.pk} of {self.created_at:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        if self.kind == self.Kind.QUESTION:
            return reverse("messaging:question_detail", args=[self.pk])
        return reverse("messaging:thread", args=[self.case_id]) + f"#message-{self.pk}"

    @property
    def is_question(self) -> bool:
        return self.kind == self.Kind.QUESTION

    @property
    def is_open(self) -> bool:
        return self.kind == self.Kind.QUESTION and self.state == self.State.OPEN

    def clean(self) -> None:
        if not (self.body or "").strip():
            raise ValidationError({"body": "Write the message."})
        if self.kind == self.Kind.QUESTION and self.state not in self.State.values:
            raise ValidationError({"state": "A consult question is open or answered."})
        if self.kind == self.Kind.MESSAGE and self.state:
            raise ValidationError({"state": "Only a consult question is open or answered."})
        if self.medication_id and self.observation_id:
            raise ValidationError("Point at one record: a medication or an observation.")
        patient_id = self.case.patient_id if self.case_id else None
        if self.medication_id and self.medication.patient_id != patient_id:
            raise ValidationError({"medication": "Choose a medication of this patient."})
        if self.observation_id and self.observation.case.patient_id != patient_id:
            raise ValidationError({"observation": "Choose an observation of this patient."})


class MessageUserObjectPermission(UserObjectPermissionBase):
    """Direct-FK guardian grants: who may read which message (kept by releases.gate)."""

    content_object = models.ForeignKey(Message, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        pass


class MessageRead(models.Model):
    """A reader's read marker on one message: unread is "no marker of mine"."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reads")
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_reads"
    )
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "reader"], name="message_read_once")
        ]
        indexes = [models.Index(fields=["reader", "message"])]

    def __str__(self) -> str:
        return f"Message #{self.message_id} read by user #{self.reader_id}"


class CaseConference(FixedOnceWritten):
    """A joint review of a case the two clinicians hold ("how is our alliance with this
    patient?"). Either clinician asks with an agenda and a proposed time; another member
    of the care team confirms it (or proposes another time); afterwards one of them
    records what came out of it. Shared PHI of the category "messages", authored by
    whoever asked for it (the agenda is theirs); each outcome is a record of its own
    (:class:`ConferenceOutcome`), authored by whoever wrote it."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        SCHEDULED = "scheduled", "Scheduled"
        HELD = "held", "Held"
        CANCELLED = "cancelled", "Cancelled"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="conferences")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="conferences_requested"
    )
    agenda = models.TextField(
        help_text="For example: are there issues in the therapeutic alliance, what would "
        "strengthen it, how the patient perceives their pharmacology care."
    )
    proposed_at = models.DateTimeField("proposed time")
    # Who proposed the time on the table: another member confirms it.
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    billing_told = models.BooleanField(
        "the patient was told such sessions may be billed", default=False
    )
    held_on = models.DateField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        indexes = [
            models.Index(fields=["case", "status"]),
            models.Index(fields=["status", "proposed_at"]),
        ]

    def __str__(self) -> str:
        return f"Case conference #{self.pk} of {self.created_at:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("messaging:conference_detail", args=[self.pk])

    @property
    def when(self):
        """The time agreed on, or the time proposed."""
        return self.scheduled_at or self.proposed_at

    @property
    def is_upcoming(self) -> bool:
        return self.status in (self.Status.REQUESTED, self.Status.SCHEDULED)

    def clean(self) -> None:
        if not (self.agenda or "").strip():
            raise ValidationError({"agenda": "Say what you want to review together."})
        held = self.status == self.Status.HELD
        if held and self.held_on and self.held_on > timezone.localdate():
            raise ValidationError({"held_on": "A conference cannot be held in the future."})


class CaseConferenceUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(CaseConference, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        pass


class ConferenceOutcome(FixedOnceWritten):
    """What came out of a held case conference, as one member of the team wrote it.

    Its own record with its own author (issue 11): the gate reads it under the releases
    of whoever wrote it, not of whoever asked for the conference. Each member who records
    an outcome writes their own; only its author edits it."""

    conference = models.ForeignKey(
        CaseConference, on_delete=models.PROTECT, related_name="outcomes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="conference_outcomes"
    )
    notes = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["conference", "author"], name="conference_outcome_once_per_author"
            )
        ]

    def __str__(self) -> str:
        # No text: this string reaches logs, the audit trail and the disclosure list.
        return f"Conference outcome #{self.pk} of {self.created_at:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("messaging:conference_detail", args=[self.conference_id])

    def clean(self) -> None:
        if not (self.notes or "").strip():
            raise ValidationError({"notes": "Write what came out of the conference."})


class ConferenceOutcomeUserObjectPermission(UserObjectPermissionBase):
    """Direct-FK guardian grants: who may read which outcome (kept by releases.gate)."""

    content_object = models.ForeignKey(ConferenceOutcome, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        pass


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
        "notifications.Notification",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reminder",
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


# Clinical text is masked in the change log (who changed what and when stays recorded).
auditlog.register(Message, mask_fields=["body"], mask_callable="releases.audit.redact")
auditlog.register(
    CaseConference,
    mask_fields=["agenda"],
    mask_callable="releases.audit.redact",
)
auditlog.register(ConferenceOutcome, mask_fields=["notes"], mask_callable="releases.audit.redact")
