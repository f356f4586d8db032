"""Medication lists, the history of every change, and refill requests.

Each change to a medication is a MedicationChange row written by the service that
made it, so "what changed when" is a query, not a diff.
"""

from auditlog.registry import auditlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from guardian.models import UserObjectPermissionBase

from cases.fixity import FixedOnceWritten
from cases.models import (
    ENTERED_IN_ERROR_TEXT_FIELDS,
    Clinic,
    Clinician,
    EnteredInError,
    Observation,
    Patient,
)

from . import dosing


class Schedule(models.TextChoices):
    """US DEA controlled-substance schedules (21 CFR 1308.12-1308.15); blank: not
    controlled. Schedule I substances are never prescribed."""

    NONE = "", "Not controlled"
    II = "II", "Schedule II"
    III = "III", "Schedule III"
    IV = "IV", "Schedule IV"
    V = "V", "Schedule V"


class DrugClass(models.TextChoices):
    SSRI = "ssri", "SSRI"
    SNRI = "snri", "SNRI"
    ATYPICAL_ANTIDEPRESSANT = "atypical_antidepressant", "Atypical antidepressant"
    TCA = "tca", "Tricyclic antidepressant"
    MAOI = "maoi", "MAOI"
    NMDA_ANTAGONIST = "nmda_antagonist", "NMDA receptor antagonist"
    NEUROACTIVE_STEROID = "neuroactive_steroid", "Neuroactive steroid"
    STIMULANT = "stimulant", "Stimulant"
    WAKEFULNESS_AGENT = "wakefulness_agent", "Wakefulness-promoting agent"
    NON_STIMULANT_ADHD = "non_stimulant_adhd", "Non-stimulant ADHD medication"
    ALPHA_AGONIST = "alpha_agonist", "Alpha-2 agonist"
    BENZODIAZEPINE = "benzodiazepine", "Benzodiazepine"
    Z_DRUG_HYPNOTIC = "z_drug_hypnotic", "Z-drug hypnotic"
    OREXIN_ANTAGONIST = "orexin_antagonist", "Orexin receptor antagonist"
    MELATONIN_AGONIST = "melatonin_agonist", "Melatonin receptor agonist"
    MOOD_STABILISER = "mood_stabiliser", "Mood stabiliser"
    ANTICONVULSANT = "anticonvulsant", "Anticonvulsant"
    FIRST_GENERATION_ANTIPSYCHOTIC = (
        "first_generation_antipsychotic",
        "First-generation antipsychotic",
    )
    SECOND_GENERATION_ANTIPSYCHOTIC = (
        "second_generation_antipsychotic",
        "Second-generation antipsychotic",
    )
    ANXIOLYTIC = "anxiolytic", "Anxiolytic"
    BETA_BLOCKER = "beta_blocker", "Beta blocker"
    ALPHA_BLOCKER = "alpha_blocker", "Alpha-1 blocker"
    OPIOID_USE_DISORDER = "opioid_use_disorder", "Opioid use disorder"
    ALCOHOL_USE_DISORDER = "alcohol_use_disorder", "Alcohol use disorder"
    TOBACCO_USE_DISORDER = "tobacco_use_disorder", "Tobacco use disorder"
    ANTICHOLINERGIC = "anticholinergic", "Anticholinergic"
    VMAT2_INHIBITOR = "vmat2_inhibitor", "VMAT2 inhibitor"
    OTHER = "other", "Other"


class DoseUnit(models.TextChoices):
    """The unit a dose is counted in; one unit per medication, so doses compare."""

    MG = "mg", "mg"
    MCG = "mcg", "mcg"
    G = "g", "g"
    ML = "mL", "mL"
    TABLET = "tablet", "tablet(s)"
    CAPSULE = "capsule", "capsule(s)"
    PATCH = "patch", "patch(es)"
    PUFF = "puff", "puff(s)"
    UNIT = "unit", "unit(s)"


def units_per_dose_field() -> models.DecimalField:
    """How many tablets, capsules, mL... each time (a medication's, a planned step's)."""
    return models.DecimalField(
        "quantity per dose", max_digits=6, decimal_places=2, null=True, blank=True
    )


def doses_per_day_field() -> models.DecimalField:
    return models.DecimalField("doses a day", max_digits=4, decimal_places=1, null=True, blank=True)


class FormularyEntry(models.Model):
    """One medication of the psychotropic formulary.

    Shipped rows (``clinic`` empty) come from ``medications/data/formulary.csv``: the
    data migration loads them and ``manage.py load_formulary`` updates them from the file;
    no one edits them in the app. A clinic admin adds the clinic's own entries (and
    edits or retires them) in the Django admin. The DEA schedule of a medication started
    from an entry is the entry's, never typed by hand.
    """

    clinic = models.ForeignKey(
        Clinic,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="formulary_entries",
        help_text="Empty for the shipped formulary; else an addition of this clinic.",
    )
    generic_name = models.CharField(max_length=120)
    brand_names = models.CharField(
        max_length=300, blank=True, help_text="Common US brand names, separated by ';'."
    )
    drug_class = models.CharField("class", max_length=40, choices=DrugClass.choices)
    dea_schedule = models.CharField(
        "DEA schedule", max_length=3, choices=Schedule.choices, blank=True
    )
    dose_unit = models.CharField(
        max_length=10,
        choices=DoseUnit.choices,
        default=DoseUnit.MG,
        help_text="The unit its doses are usually counted in.",
    )
    strengths = models.CharField(
        "usual strengths", max_length=400, blank=True, help_text="Separated by ';'."
    )
    forms = models.CharField("usual forms", max_length=300, blank=True)
    rxnorm_rxcui = models.CharField(
        "RxNorm ingredient RXCUI",
        max_length=12,
        blank=True,
        validators=[RegexValidator(r"^[0-9]+$", "An RXCUI is a number.")],
        help_text="Only from a public source; leave blank rather than guess.",
    )
    rxnorm_source = models.CharField("source of the RXCUI", max_length=120, blank=True)
    active = models.BooleanField(
        default=True, help_text="Retired entries are no longer offered for new starts."
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["generic_name"]
        verbose_name = "formulary entry"
        verbose_name_plural = "formulary"
        constraints = [
            models.UniqueConstraint(
                Lower("generic_name"),
                condition=models.Q(clinic__isnull=True),
                name="formulary_shipped_name_unique",
            ),
            models.UniqueConstraint(
                "clinic",
                Lower("generic_name"),
                condition=models.Q(clinic__isnull=False),
                name="formulary_clinic_name_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """'Sertraline': the name a medication started from this entry carries."""
        return self.generic_name[:1].upper() + self.generic_name[1:]

    @property
    def brand_list(self) -> list[str]:
        return [name.strip() for name in self.brand_names.split(";") if name.strip()]

    @property
    def strength_list(self) -> list[str]:
        return [value.strip() for value in self.strengths.split(";") if value.strip()]

    @property
    def is_controlled(self) -> bool:
        return bool(self.dea_schedule)

    def names(self) -> set[str]:
        """Every name this entry answers to, lower-cased (generic and brands)."""
        return {self.generic_name.lower(), *(brand.lower() for brand in self.brand_list)}

    def clean(self) -> None:
        self.generic_name = " ".join(self.generic_name.split()).lower()
        if self.clinic_id and self.generic_name:
            shipped = FormularyEntry.objects.filter(
                clinic__isnull=True, generic_name__iexact=self.generic_name
            )
            if shipped.exists():
                raise ValidationError(
                    {"generic_name": f"{self.display_name} is already in the shipped formulary."}
                )


class Medication(FixedOnceWritten):
    class Route(models.TextChoices):
        ORAL = "oral", "By mouth"
        SUBLINGUAL = "sublingual", "Under the tongue"
        TRANSDERMAL = "transdermal", "Patch"
        INJECTION = "injection", "Injection"
        NASAL = "nasal", "Nasal"
        OTHER = "other", "Other"

    Schedule = Schedule

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
    # The dose as numbers (``dosing``): empty where the text could not be read, and then
    # the rules on the total daily dose do not apply.
    strength_amount = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    strength_unit = models.CharField(max_length=10, choices=DoseUnit.choices, blank=True)
    units_per_dose = units_per_dose_field()
    doses_per_day = doses_per_day_field()
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
    # Copied from the formulary entry when there is one (and kept in step with it by
    # ``formulary.formulary_entry_save``), so every reader of the schedule reads one
    # column; typed by hand only for a medication not in the formulary.
    controlled_schedule = models.CharField(
        max_length=3, choices=Schedule.choices, default=Schedule.NONE, blank=True
    )
    formulary_entry = models.ForeignKey(
        FormularyEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="medications",
        help_text="Empty for a medication not in the formulary ('other').",
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
    def dose(self) -> dosing.Dose:
        return dosing.Dose(
            amount=self.strength_amount,
            unit=self.strength_unit,
            per_dose=self.units_per_dose,
            per_day=self.doses_per_day,
        )

    @property
    def daily_dose(self):
        """The total daily dose (strength x quantity per dose x doses a day), or None."""
        return self.dose.daily

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


class MedicationChange(EnteredInError, FixedOnceWritten):
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
    # The total daily dose before and after, in ``dose_unit``, when both are known.
    daily_dose_before = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    daily_dose_after = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    dose_unit = models.CharField(max_length=10, choices=DoseUnit.choices, blank=True)
    # What a dose change replaced (strength, directions, frequency and the numbers), so
    # that marking it entered in error puts the dose back as it was.
    previous_dose = models.JSONField(default=dict, blank=True, editable=False)
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


class PlannedStep(FixedOnceWritten):
    """One step of a planned titration or taper: the dose the medication takes on its
    date. The prescriber plans the steps ahead; a daily task makes each take effect on
    its date, exactly once (a conditional claim), as an INCREASE or DECREASE change
    (``change``), which the check-in reminders count like any change. Steps not yet in
    effect can be changed or cancelled; the therapist reads the plan under the release
    (category medications, like the medication)."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        DONE = "done", "Took effect"
        CANCELLED = "cancelled", "Cancelled"
        NOT_APPLIED = "not_applied", "Could not take effect"

    medication = models.ForeignKey(
        Medication, on_delete=models.PROTECT, related_name="planned_steps"
    )
    planned_on = models.DateField("takes effect on")
    strength = models.CharField(max_length=60)
    directions = models.CharField("dose and directions", max_length=200)
    frequency = models.CharField(max_length=60, blank=True)
    units_per_dose = units_per_dose_field()
    doses_per_day = doses_per_day_field()
    daily_dose = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    dose_unit = models.CharField(max_length=10, choices=DoseUnit.choices, blank=True)
    reason = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED)
    # Why a step could not take effect (the medication changed meanwhile); no PHI.
    outcome = models.CharField(max_length=300, blank=True)
    change = models.OneToOneField(
        MedicationChange,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="planned_step",
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["planned_on", "pk"]
        indexes = [
            models.Index(fields=["status", "planned_on"]),
            models.Index(fields=["medication", "planned_on"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["medication", "planned_on"],
                condition=models.Q(status="planned"),
                name="planned_step_one_per_day",
            )
        ]

    def __str__(self) -> str:
        return f"Planned step #{self.pk} of {self.planned_on:%Y-%m-%d} ({self.status})"

    @property
    def dose_summary(self) -> str:
        parts = [self.strength, self.directions, self.frequency]
        return " · ".join(part.strip() for part in parts if part and part.strip())

    @property
    def daily_display(self) -> str:
        return dosing.daily_display(
            self.daily_dose.normalize() if self.daily_dose is not None else None, self.dose_unit
        )


class RefillRequest(FixedOnceWritten):
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


class PlannedStepUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(PlannedStep, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        pass


class RefillRequestUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(RefillRequest, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        pass


auditlog.register(FormularyEntry)
# Clinical values are masked in the change log: it keeps who changed which field when,
# without becoming a second copy of the medication list (the dose numbers too).
MEDICATION_CLINICAL_FIELDS = [
    "name",
    "strength",
    "directions",
    "route",
    "frequency",
    "formulary_entry",
    "controlled_schedule",
    "strength_amount",
    "strength_unit",
    "units_per_dose",
    "doses_per_day",
]
CHANGE_DOSE_FIELDS = ["daily_dose_before", "daily_dose_after", "dose_unit", "previous_dose"]
auditlog.register(
    Medication,
    m2m_fields={"observations"},
    mask_fields=MEDICATION_CLINICAL_FIELDS,
    mask_callable="releases.audit.redact",
)
auditlog.register(
    MedicationChange,
    mask_fields=[
        "from_value",
        "to_value",
        "reason",
        *CHANGE_DOSE_FIELDS,
        *ENTERED_IN_ERROR_TEXT_FIELDS,
    ],
    mask_callable="releases.audit.redact",
)
auditlog.register(
    PlannedStep,
    mask_fields=[
        "strength",
        "directions",
        "frequency",
        "units_per_dose",
        "doses_per_day",
        "daily_dose",
        "dose_unit",
        "reason",
        "outcome",
    ],
    mask_callable="releases.audit.redact",
)
auditlog.register(
    RefillRequest, mask_fields=["note", "decline_reason"], mask_callable="releases.audit.redact"
)
