"""Clinics, clinicians, patients, cases and the observations clinicians write."""

from auditlog.registry import auditlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from guardian.models import UserObjectPermissionBase

from .categories import Category
from .fixity import FixedOnceWritten


class Clinic(models.Model):
    name = models.CharField(max_length=200, unique=True)
    mrn_system = models.URLField(
        "MRN system",
        max_length=200,
        blank=True,
        help_text="The URI your EHR uses for medical record numbers (the FHIR identifier "
        "system), so exported patients match the EHR's. Blank: a URI of this CareCollab site.",
    )
    # Reminder settings (per clinic, with the defaults clinics asked for).
    refill_lead_days = models.PositiveSmallIntegerField(
        default=7, help_text="Remind this many days before a medication's supply runs out."
    )
    controlled_refill_lead_days = models.PositiveSmallIntegerField(
        default=10, help_text="The same, for controlled substances (schedule II-V)."
    )
    checkin_days = models.CharField(
        max_length=50,
        default="7,28",
        help_text="Days after a medication start or change to ask the therapist for a check-in.",
    )
    quiet_case_days = models.PositiveSmallIntegerField(
        default=21,
        help_text="Ask for a check-in when a case has no shared observation for this long.",
    )
    release_notice_days = models.CharField(
        max_length=50, default="30,7", help_text="Days before a release expires to remind."
    )
    consult_wait_working_days = models.PositiveSmallIntegerField(
        default=2, help_text="Working days an open consult question may wait."
    )
    # Safety alerts (alerts app): not acknowledged within the window, an alert is
    # escalated to the care team again and to the clinician on call; a second window
    # escalates again.
    alert_escalation_minutes = models.PositiveIntegerField(
        "safety alert escalation window (minutes)",
        default=120,
        help_text="A safety alert not acknowledged this long after it was raised is "
        "escalated; after twice as long, again.",
    )
    on_call_clinician = models.ForeignKey(
        "Clinician",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="on_call_for",
        help_text="Told when a safety alert is escalated (a prescriber or therapist of "
        "this clinic).",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def parse_days(value: str) -> list[int]:
        """'7,28' -> [7, 28]; ignores blanks."""
        return sorted({int(part) for part in value.split(",") if part.strip()})

    def clean(self) -> None:
        for field in ("checkin_days", "release_notice_days"):
            try:
                days = self.parse_days(getattr(self, field))
            except ValueError:
                raise ValidationError(
                    {field: "Enter whole numbers of days separated by commas."}
                ) from None
            if any(day <= 0 or day > 365 for day in days):
                raise ValidationError({field: "Each number of days must be between 1 and 365."})
        if not 5 <= self.alert_escalation_minutes <= 24 * 60:
            raise ValidationError(
                {"alert_escalation_minutes": "Give between 5 minutes and 24 hours (1440)."}
            )
        on_call = self.on_call_clinician
        if on_call is not None and (
            on_call.clinic_id != self.pk or on_call.role == Clinician.Role.CLINIC_ADMIN
        ):
            raise ValidationError(
                {"on_call_clinician": "Choose a prescriber or therapist of this clinic."}
            )


class Clinician(models.Model):
    """The clinical profile of a user: their role, credential and clinic."""

    class Role(models.TextChoices):
        PRESCRIBER = "prescriber", "Prescriber"
        THERAPIST = "therapist", "Therapist"
        CLINIC_ADMIN = "clinic_admin", "Clinic admin"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="clinician"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="clinicians")
    role = models.CharField(max_length=20, choices=Role.choices)
    credential = models.CharField(
        max_length=30, blank=True, help_text="For example MD, DO, PMHNP, NP, PhD, PsyD, LCSW, LPC."
    )
    email_reminders = models.BooleanField(
        default=True, help_text="Also send reminders by e-mail (they never contain PHI)."
    )

    class Meta:
        ordering = ["user__last_name", "user__first_name"]
        indexes = [models.Index(fields=["clinic", "role"])]

    def __str__(self) -> str:
        name = self.user.get_full_name() or self.user.get_username()
        return f"{name}, {self.credential}" if self.credential else name

    @property
    def is_prescriber(self) -> bool:
        return self.role == self.Role.PRESCRIBER

    @property
    def is_therapist(self) -> bool:
        return self.role == self.Role.THERAPIST

    @property
    def is_clinic_admin(self) -> bool:
        return self.role == self.Role.CLINIC_ADMIN


class Patient(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    mrn = models.CharField(
        "MRN", max_length=40, help_text="Medical record number, unique in the clinic."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["family_name", "given_name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "mrn"], name="patient_mrn_unique_in_clinic")
        ]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name} ({self.mrn})"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def clean(self) -> None:
        if self.date_of_birth and self.date_of_birth > timezone.localdate():
            raise ValidationError({"date_of_birth": "The date of birth cannot be in the future."})


class Case(FixedOnceWritten):
    """One collaborative episode of care for a patient."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="cases")
    opened_on = models.DateField(default=timezone.localdate)
    closed_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)

    class Meta:
        ordering = ["-opened_on", "-pk"]
        indexes = [models.Index(fields=["patient", "status"])]

    def __str__(self) -> str:
        return f"Case #{self.pk} opened {self.opened_on:%Y-%m-%d}"

    def clean(self) -> None:
        if self.closed_on and self.opened_on and self.closed_on < self.opened_on:
            raise ValidationError({"closed_on": "A case cannot close before it opened."})
        if self.status == self.Status.CLOSED and not self.closed_on:
            raise ValidationError({"closed_on": "Give the date the case closed."})


class CareTeamQuerySet(models.QuerySet):
    """ "On the care team", decided once; every query of care-team membership starts
    here (the decision is in releases/gate.py's docstring and README "How access works").

    - reading: a member of any case of the patient, open or closed; a closed case's
      history stays readable to those who treated the patient, under releases active now;
    - writing (new records, posts, refills, conferences): a member of an open case;
    - reminders and notifications of new work: open cases only.
    """

    def reading(self) -> "CareTeamQuerySet":
        """Memberships that let a clinician read (any case, open or closed)."""
        return self.all()

    def writing(self) -> "CareTeamQuerySet":
        """Memberships that let a clinician write (open cases only)."""
        return self.filter(case__status=Case.Status.OPEN)

    def reminding(self) -> "CareTeamQuerySet":
        """Memberships whose clinicians are reminded (open cases only)."""
        return self.filter(case__status=Case.Status.OPEN)


class CareTeamMember(models.Model):
    class RoleOnCase(models.TextChoices):
        PRESCRIBER = "prescriber", "Prescriber"
        THERAPIST = "therapist", "Therapist"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="care_team")
    clinician = models.ForeignKey(Clinician, on_delete=models.PROTECT, related_name="memberships")
    role_on_case = models.CharField(max_length=20, choices=RoleOnCase.choices)
    joined_on = models.DateField(default=timezone.localdate)

    objects = CareTeamQuerySet.as_manager()

    class Meta:
        ordering = ["role_on_case"]
        constraints = [
            models.UniqueConstraint(fields=["case", "clinician"], name="care_team_member_once")
        ]

    def __str__(self) -> str:
        return f"{self.clinician} ({self.get_role_on_case_display()})"

    def clean(self) -> None:
        if self.clinician_id and self.case_id:
            if self.clinician.clinic_id != self.case.patient.clinic_id:
                raise ValidationError("A care team member must belong to the patient's clinic.")
            if self.clinician.role == Clinician.Role.CLINIC_ADMIN:
                raise ValidationError("A clinic admin cannot be on a care team.")


class EnteredInErrorQuerySet(models.QuerySet):
    """Records of a kind that can be marked "entered in error"."""

    def in_effect(self):
        """The records that count: every rule that counts records (days after a change,
        the chart and its bands, response and remission, the not-improving list, the
        review queue, the reminders) reads these, never a record entered in error."""
        return self.filter(entered_in_error_at__isnull=True)

    def entered_in_error(self):
        return self.filter(entered_in_error_at__isnull=False)


class EnteredInError(models.Model):
    """Marked "entered in error" by its author (with who, when and why): it stays in the
    history, struck through, and no longer counts (``in_effect()``)."""

    entered_in_error_at = models.DateTimeField(null=True, blank=True, editable=False)
    entered_in_error_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    entered_in_error_reason = models.TextField(
        "why it was entered in error", blank=True, editable=False
    )

    objects = EnteredInErrorQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_entered_in_error(self) -> bool:
        return self.entered_in_error_at is not None


# Masked in audit diffs with the clinical text (a reason may name what was wrong).
ENTERED_IN_ERROR_TEXT_FIELDS = ["entered_in_error_reason"]


class Observation(EnteredInError, FixedOnceWritten):
    """An observation about a patient, written by a therapist or a prescriber.

    A shared observation may cross to the other clinician under an active release; a private
    observation (``shared=False``) is psychotherapy material and is only ever seen by its author.
    """

    class Adherence(models.TextChoices):
        AS_PRESCRIBED = "as_prescribed", "Takes it as prescribed"
        MISSED_DOSES = "missed_doses", "Missed doses"
        STOPPED = "stopped", "Stopped taking it"
        UNKNOWN = "unknown", "Unknown"

    class Response(models.TextChoices):
        MUCH_BETTER = "much_better", "Much better"
        BETTER = "better", "Better"
        SAME = "same", "About the same"
        WORSE = "worse", "Worse"
        MUCH_WORSE = "much_worse", "Much worse"

    class Attitude(models.TextChoices):
        FEAR_OF_DEPENDENCY = "fear_of_dependency", "Fear of dependency"
        SIDE_EFFECT_WORRIES = "side_effect_worries", "Worries about side effects"
        FEELING_CONTROLLED = "feeling_controlled", "Feels controlled by the medication"
        OVER_RELIANCE = "over_reliance", "Relies on medication instead of therapy work"
        OTHER = "other", "Other"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="observations")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="observations"
    )
    category = models.CharField(
        max_length=20, choices=Category.choices, default=Category.OBSERVATIONS
    )
    shared = models.BooleanField(
        default=True,
        help_text="Shared observations can reach the other clinician under an active release. "
        "Private observations are psychotherapy material and never leave you.",
    )
    observed_on = models.DateField(default=timezone.localdate)
    adherence = models.CharField(max_length=20, choices=Adherence.choices, blank=True)
    response = models.CharField(
        "response since the last change", max_length=20, choices=Response.choices, blank=True
    )
    side_effects = models.TextField(blank=True)
    attitudes = models.JSONField(default=list, blank=True)
    attitude_notes = models.TextField("about the patient's attitude", blank=True)
    question = models.TextField("question for the prescriber", blank=True)
    evaluation_suggestion = models.TextField(
        "suggest a medical evaluation in another specialty", blank=True
    )
    body = models.TextField("note", blank=True)
    # An explicit choice of the author: raises a safety alert (alerts app) to everyone
    # on the care team who may read this observation.
    needs_attention_today = models.BooleanField(
        "needs the prescriber's attention today", default=False
    )
    attention_reason = models.TextField("why it needs attention today", blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-observed_on", "-created_at"]
        indexes = [
            models.Index(fields=["case", "-observed_on"]),
            models.Index(fields=["author", "-created_at"]),
        ]

    def __str__(self) -> str:
        # No clinical text: this string shows in logs and the audit trail.
        return f"Observation #{self.pk} of {self.observed_on:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("cases:observation_detail", args=[self.pk])

    def clean(self) -> None:
        if self.category not in Category.values:
            raise ValidationError({"category": "Choose a category a release can cover."})
        unknown = set(self.attitudes or []) - set(self.Attitude.values)
        if unknown:
            raise ValidationError({"attitudes": "Choose attitudes from the list."})
        if self.observed_on and self.observed_on > timezone.localdate():
            raise ValidationError({"observed_on": "An observation cannot be dated in the future."})

    def attitude_labels(self) -> list[str]:
        return [self.Attitude(value).label for value in self.attitudes or []]

    @property
    def is_flagged(self) -> bool:
        """Something the prescriber should see first."""
        return bool(
            self.adherence in (self.Adherence.MISSED_DOSES, self.Adherence.STOPPED)
            or self.side_effects.strip()
            or self.response in (self.Response.WORSE, self.Response.MUCH_WORSE)
            or self.question.strip()
            or self.needs_attention_today
        )


class ObservationUserObjectPermission(UserObjectPermissionBase):
    """Direct-FK guardian grants: who may read which observation (kept by releases.gate)."""

    content_object = models.ForeignKey(Observation, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        pass


class ObservationReview(models.Model):
    """A clinician has reviewed (read and considered) someone else's shared observation.

    One row per observation and reviewer. ``observation_updated_at`` is the version that
    was reviewed: when the author edits the observation afterwards, it is back in the queue.
    Holds no clinical text, so it is not a gated kind; who reviewed what is shown only
    next to an observation the reader may already see.
    """

    observation = models.ForeignKey(Observation, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="note_reviews"
    )
    reviewed_at = models.DateTimeField(default=timezone.now)
    observation_updated_at = models.DateTimeField(
        help_text="The observation's updated_at when it was reviewed."
    )

    class Meta:
        ordering = ["-reviewed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["observation", "reviewer"], name="observation_review_once"
            )
        ]
        indexes = [models.Index(fields=["reviewer", "observation"])]

    def __str__(self) -> str:
        return f"Review of observation #{self.observation_id} at {self.reviewed_at:%Y-%m-%d %H:%M}"

    @property
    def is_current(self) -> bool:
        """The reviewer saw the observation as it is now."""
        return self.observation_updated_at >= self.observation.updated_at


# An observation's free text: masked in the audit log, trimmed and counted as content by
# the services.
OBSERVATION_TEXT_FIELDS = [
    "body",
    "side_effects",
    "attitude_notes",
    "question",
    "evaluation_suggestion",
    "attention_reason",
]

# Its structured answers are clinical values too: masked in the audit log alike.
OBSERVATION_ANSWER_FIELDS = ["adherence", "response", "attitudes"]

auditlog.register(Clinic)
auditlog.register(Clinician)
auditlog.register(Patient)
auditlog.register(Case)
auditlog.register(CareTeamMember)
auditlog.register(ObservationReview)
# Clinical text is masked in the change log: the audit trail records that a field
# changed, by whom and when, without becoming a second copy of the observation.
auditlog.register(
    Observation,
    mask_fields=[
        *OBSERVATION_TEXT_FIELDS,
        *OBSERVATION_ANSWER_FIELDS,
        *ENTERED_IN_ERROR_TEXT_FIELDS,
    ],
    mask_callable="releases.audit.redact",
)
