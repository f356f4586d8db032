"""Medication lists, the history of every change, and refill requests.

Each change to a medication is a MedicationChange row written by the service that
made it, so "what changed when" is a query, not a diff.
"""

from auditlog.registry import auditlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from guardian.models import UserObjectPermissionBase

from cases.models import Clinician, Observation, Patient


class Medication(models.Model):
    class Route(models.TextChoices):
        ORAL = "oral", "By mouth"
        SUBLINGUAL = "sublingual", "Under the tongue"
        TRANSDERMAL = "transdermal", "Patch"
        INJECTION = "injection", "Injection"
        NASAL = "nasal", "Nasal"
        OTHER = "other", "Other"

    class Schedule(models.TextChoices):
        NONE = "", "Not controlled"
        II = "II", "Schedule II"
        III = "III", "Schedule III"
        IV = "IV", "Schedule IV"
        V = "V", "Schedule V"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        STOPPED = "stopped", "Stopped"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="medications")
    name = models.CharField(max_length=120)
    strength = models.CharField(max_length=60, help_text="For example 50 mg.")
    directions = models.CharField(
        "dose and directions", max_length=200, help_text="For example 1 tablet in the morning."
    )
    route = models.CharField(max_length=20, choices=Route.choices, default=Route.ORAL)
    frequency = models.CharField(max_length=60, blank=True, help_text="For example once daily.")
    start_date = models.DateField(default=timezone.localdate)
    stop_date = models.DateField(null=True, blank=True)
    prescriber = models.ForeignKey(
        Clinician, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    patient_reported = models.BooleanField(
        default=False, help_text="Recorded by a therapist from what the patient reports."
    )
    prescribed_elsewhere_by = models.CharField(
        "prescribed by",
        max_length=120,
        blank=True,
        help_text="For a patient-reported medication: who prescribes it (for example the "
        "primary care doctor), or 'over the counter'.",
    )
    # Who wrote this entry: the author for the release gate.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    controlled_schedule = models.CharField(
        max_length=3, choices=Schedule.choices, default=Schedule.NONE, blank=True
    )
    quantity = models.PositiveIntegerField(null=True, blank=True)
    days_supply = models.PositiveIntegerField(null=True, blank=True)
    last_fill_date = models.DateField(null=True, blank=True)
    refills_left = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    observations = models.ManyToManyField(
        Observation, blank=True, related_name="medications", help_text="Linked observations."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["status", "name"]
        indexes = [
            models.Index(fields=["patient", "status"]),
            models.Index(fields=["status", "last_fill_date"]),
        ]

    def __str__(self) -> str:
        # No drug name: this string reaches logs and the audit trail.
        return f"Medication #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("medications:detail", args=[self.pk])

    @property
    def is_controlled(self) -> bool:
        return bool(self.controlled_schedule)

    @property
    def supply_ends_on(self):
        """The day the last fill runs out, or None when it is not known."""
        if self.last_fill_date and self.days_supply:
            return self.last_fill_date + timezone.timedelta(days=self.days_supply)
        return None

    @property
    def supply_days_left(self) -> int | None:
        """Days until the supply on file runs out (negative: ran out), or None."""
        ends = self.supply_ends_on
        return None if ends is None else (ends - timezone.localdate()).days

    @property
    def dose_summary(self) -> str:
        """Strength, directions and frequency in one line, as a change records them."""
        parts = [self.strength, self.directions, self.frequency]
        return " · ".join(part.strip() for part in parts if part and part.strip())

    def clean(self) -> None:
        if self.stop_date and self.start_date and self.stop_date < self.start_date:
            raise ValidationError({"stop_date": "A medication cannot stop before it started."})
        if self.start_date and self.start_date > timezone.localdate():
            raise ValidationError({"start_date": "The start date cannot be in the future."})
        if self.patient_reported and self.prescriber_id:
            raise ValidationError(
                {"prescriber": "A patient-reported medication has no CareCollab prescriber."}
            )
        if not self.patient_reported and self.prescribed_elsewhere_by:
            raise ValidationError(
                {
                    "prescribed_elsewhere_by": "Only a patient-reported medication names an "
                    "outside prescriber."
                }
            )
        if self.last_fill_date and self.last_fill_date > timezone.localdate():
            raise ValidationError({"last_fill_date": "The fill date cannot be in the future."})
        if self.status == self.Status.STOPPED and not self.stop_date:
            raise ValidationError({"stop_date": "Give the date the medication stopped."})
        if self.status == self.Status.ACTIVE and self.stop_date:
            raise ValidationError({"stop_date": "An active medication has no stop date."})


class MedicationChange(models.Model):
    class Kind(models.TextChoices):
        START = "start", "Started"
        INCREASE = "increase", "Dose increased"
        DECREASE = "decrease", "Dose decreased"
        SWITCH = "switch", "Switched"
        STOP = "stop", "Stopped"
        FILL = "fill", "Filled"
        UPDATE = "update", "Details updated"

    medication = models.ForeignKey(Medication, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    effective_on = models.DateField(default=timezone.localdate)
    from_value = models.CharField(max_length=200, blank=True)
    to_value = models.CharField(max_length=200, blank=True)
    reason = models.TextField(blank=True)
    switched_to = models.ForeignKey(
        Medication, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-effective_on", "-created_at"]
        indexes = [models.Index(fields=["medication", "-effective_on"])]

    def __str__(self) -> str:
        return f"Medication change #{self.pk} ({self.kind}) of {self.effective_on:%Y-%m-%d}"


class RefillRequest(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        SENT = "sent", "Sent to pharmacy"
        DECLINED = "declined", "Declined"

    medication = models.ForeignKey(
        Medication, on_delete=models.PROTECT, related_name="refill_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    needed_by = models.DateField()
    note = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    late = models.BooleanField(
        default=False,
        help_text="A controlled substance asked for inside the clinic's lead time.",
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["needed_by", "requested_at"]
        indexes = [
            models.Index(fields=["status", "needed_by"]),
            models.Index(fields=["medication", "status"]),
        ]

    def __str__(self) -> str:
        return f"Refill request #{self.pk} of {self.requested_at:%Y-%m-%d}"

    @staticmethod
    def is_late(*, controlled: bool, requested_on, needed_by, lead_days: int) -> bool:
        """Whether a request gives too little notice: it is for a controlled substance
        (schedule II-V) and fewer than ``lead_days`` calendar days separate the day it is
        made (the clinic's local date) from the day the medication is needed. A request
        made exactly ``lead_days`` ahead is on time; a non-controlled one is never late.
        """
        return controlled and (needed_by - requested_on).days < lead_days

    @property
    def requested_on(self):
        """The clinic's local date of the request."""
        return timezone.localdate(self.requested_at)

    @property
    def notice_days(self) -> int:
        """Calendar days between the request and the day the medication is needed."""
        return (self.needed_by - self.requested_on).days


class MedicationUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Medication, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        pass


class MedicationChangeUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(MedicationChange, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        pass


class RefillRequestUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(RefillRequest, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        pass


auditlog.register(Medication, m2m_fields={"observations"})
auditlog.register(MedicationChange, mask_fields=["reason"], mask_callable="releases.audit.redact")
auditlog.register(
    RefillRequest, mask_fields=["note", "decline_reason"], mask_callable="releases.audit.redact"
)
