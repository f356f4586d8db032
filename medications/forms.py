"""Forms of the medication pages. They validate what a person can fix on the page; the
services check the rest (roles, state) and their errors show on the form."""

import datetime as dt
from copy import deepcopy

from django import forms
from django.utils import timezone

from . import formulary
from .models import DrugClass, Medication, MedicationChange, Schedule
from .services import REFILL_HORIZON_DAYS

DATE = {"type": "date"}


def _date(label: str, help_text: str = "", required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        help_text=help_text,
        required=required,
        widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a date like 2026-03-14."},
    )


def _strength(value: str) -> str:
    """A prescribed strength names an amount: '50 mg', '0.5 mg', '20 mg/ml'."""
    if not any(character.isdigit() for character in value):
        raise forms.ValidationError("Give the strength with its amount, for example 50 mg.")
    return value


def _not_future(value: dt.date | None, what: str = "The date") -> dt.date | None:
    if value and value > timezone.localdate():
        raise forms.ValidationError(f"{what} cannot be in the future.")
    return value


class _Quantities(forms.Form):
    quantity = forms.IntegerField(
        min_value=1,
        max_value=10000,
        required=False,
        help_text="Tablets, capsules, patches... per fill.",
        error_messages={"min_value": "Give a quantity of at least 1."},
    )
    days_supply = forms.IntegerField(
        label="Days of supply",
        min_value=1,
        max_value=365,
        required=False,
        error_messages={
            "min_value": "Days of supply must be at least 1.",
            "max_value": "Days of supply cannot exceed 365.",
        },
    )
    refills_left = forms.IntegerField(
        label="Refills left",
        min_value=0,
        max_value=99,
        required=False,
        error_messages={"min_value": "Refills left cannot be negative."},
    )


def _per_dose(**kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label="Quantity per dose",
        min_value=0.01,
        max_value=100,
        decimal_places=2,
        required=False,
        help_text="Tablets, capsules, mL... each time (read from the directions if empty).",
        error_messages={"min_value": "Give a quantity per dose above 0."},
        **kwargs,
    )


def _per_day(**kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label="Doses a day",
        min_value=0.1,
        max_value=24,
        decimal_places=1,
        required=False,
        help_text="How many times a day (read from the frequency if empty).",
        error_messages={"min_value": "Give the doses a day above 0."},
        **kwargs,
    )


OTHER = "other"
NOT_CONTROLLED = "none"


class FormularySelect(forms.Select):
    """The formulary as a <select> (it works without JavaScript: a browser's select jumps
    to the option whose name is typed); ``static/js/formulary.js`` turns it into a
    type-ahead that also searches brand names. Each option carries what the script
    shows: the schedule, the class and the brand names."""

    def __init__(self, *args, option_data: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.option_data = option_data or {}

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        option["attrs"].update(self.option_data.get(str(value), {}))
        return option


def _entry_label(entry) -> str:
    brands = entry.brand_list[:3]
    label = entry.display_name + (f" ({', '.join(brands)})" if brands else "")
    if entry.dea_schedule:
        label += f" · C-{entry.dea_schedule}"
    return label


class _MedicationChoice(forms.Form):
    """Which medication: one of the clinic's formulary, or 'other' with its name and
    schedule. ``clean`` hands the service ``formulary_entry`` (or None), ``name`` and
    ``controlled_schedule`` (None when the formulary gives it); the service applies the
    schedule rule (``formulary.resolve_medication``) and its refusals land on these
    fields."""

    formulary_entry = forms.ChoiceField(
        label="Medication",
        help_text="Type a few letters of the generic or brand name. The DEA schedule comes "
        "from the formulary.",
        error_messages={"required": "Choose the medication, or 'Other (not in the list)'."},
    )
    name = forms.CharField(
        label="Other medication (not in the list)",
        max_length=120,
        required=False,
        help_text="Only when you chose 'Other': its generic name.",
    )
    controlled_schedule = forms.ChoiceField(
        label="Its controlled-substance schedule",
        choices=[("", "Choose…"), (NOT_CONTROLLED, "Not controlled")] + Schedule.choices[1:],
        required=False,
        help_text="Only for 'Other': schedule II-V refills need more notice.",
    )

    def __init__(self, *args, clinic_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.entries = {str(entry.pk): entry for entry in formulary.formulary_for_clinic(clinic_id)}
        groups: dict[str, list] = {}
        option_data = {OTHER: {"data-other": "1"}}
        for pk, entry in self.entries.items():
            groups.setdefault(entry.drug_class, []).append((pk, _entry_label(entry)))
            option_data[pk] = {
                "data-names": ";".join(sorted(entry.names())),
                "data-schedule": entry.get_dea_schedule_display(),
                "data-class": entry.get_drug_class_display(),
                "data-unit": entry.dose_unit,
                "data-strengths": entry.strengths,
            }
        labels = dict(DrugClass.choices)
        choices = [("", "Choose a medication…")]
        choices += [
            (labels[key], sorted(groups[key], key=lambda c: c[1]))
            for key in DrugClass.values
            if key in groups
        ]
        choices.append(("Not in the list", [(OTHER, "Other (not in the list)")]))
        field = self.fields["formulary_entry"]
        field.choices = choices
        field.widget = FormularySelect(
            choices=choices, option_data=option_data, attrs={"data-formulary": "1"}
        )

    def clean(self):
        cleaned = super().clean()
        choice = cleaned.get("formulary_entry")
        if choice == OTHER:
            if not cleaned.get("name", "").strip():
                self.add_error("name", "Name the medication that is not in the list.")
            schedule = cleaned.get("controlled_schedule")
            if not schedule:
                self.add_error(
                    "controlled_schedule",
                    "Say whether it is a controlled substance (schedule II-V) or not.",
                )
            cleaned["formulary_entry"] = None
            cleaned["controlled_schedule"] = "" if schedule == NOT_CONTROLLED else schedule
        elif choice:
            cleaned["formulary_entry"] = self.entries[choice]
            cleaned["name"] = ""
            cleaned["controlled_schedule"] = None
        return cleaned

    def initial_for(self, medication: Medication) -> None:
        """Start from what a medication is (for an update of it)."""
        if medication.formulary_entry_id and str(medication.formulary_entry_id) in self.entries:
            self.initial["formulary_entry"] = str(medication.formulary_entry_id)
        else:
            self.initial["formulary_entry"] = OTHER
            self.initial["name"] = medication.name
            self.initial["controlled_schedule"] = medication.controlled_schedule or NOT_CONTROLLED


class _Prescription(_MedicationChoice):
    strength = forms.CharField(max_length=60, help_text="For example 50 mg.")
    directions = forms.CharField(
        label="Dose and directions",
        max_length=200,
        help_text="For example 1 tablet in the morning.",
    )
    frequency = forms.CharField(max_length=60, required=False, help_text="For example once daily.")
    units_per_dose = _per_dose()
    doses_per_day = _per_day()
    route = forms.ChoiceField(choices=Medication.Route.choices, initial=Medication.Route.ORAL)

    def clean_strength(self):
        return _strength(self.cleaned_data["strength"])


class MedicationStartForm(_Prescription, _Quantities):
    """A new prescription."""

    start_date = _date("Start date")
    filled_on = _date("First filled on", "Leave empty if not filled yet.", required=False)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Why this medication (the therapist sees it under the release).",
    )

    field_order = [
        "formulary_entry",
        "name",
        "controlled_schedule",
        "strength",
        "directions",
        "frequency",
        "units_per_dose",
        "doses_per_day",
        "route",
        "start_date",
        "quantity",
        "days_supply",
        "refills_left",
        "filled_on",
        "reason",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("start_date", timezone.localdate())

    def clean_start_date(self):
        return _not_future(self.cleaned_data["start_date"])

    def clean_filled_on(self):
        return _not_future(self.cleaned_data["filled_on"])


class DoseChangeForm(forms.Form):
    kind = forms.ChoiceField(
        label="Change",
        choices=[
            (MedicationChange.Kind.INCREASE, "Increase the dose"),
            (MedicationChange.Kind.DECREASE, "Decrease the dose"),
        ],
        widget=forms.RadioSelect,
    )
    strength = forms.CharField(
        label="New strength", max_length=60, help_text="Amount and unit, for example 100 mg."
    )
    directions = forms.CharField(
        label="New dose and directions",
        max_length=200,
        help_text="Restate them for the new dose: they start as the current ones.",
    )
    frequency = forms.CharField(max_length=60, required=False)
    units_per_dose = _per_dose()
    doses_per_day = _per_day()
    effective_on = _date("From")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, medication: Medication, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.update(
            strength=medication.strength,
            directions=medication.directions,
            frequency=medication.frequency,
            units_per_dose=medication.units_per_dose,
            doses_per_day=medication.doses_per_day,
            effective_on=timezone.localdate(),
        )
        if medication.daily_dose is not None:
            self.fields[
                "strength"
            ].help_text = (
                f"Now {medication.dose.daily_display}. Same unit ({medication.strength_unit})."
            )

    def clean_effective_on(self):
        return _not_future(self.cleaned_data["effective_on"])

    def clean_strength(self):
        return _strength(self.cleaned_data["strength"])


class SwitchForm(_Prescription, _Quantities):
    effective_on = _date("Switch on")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    field_order = [
        "formulary_entry",
        "name",
        "controlled_schedule",
        "strength",
        "directions",
        "frequency",
        "units_per_dose",
        "doses_per_day",
        "route",
        "effective_on",
        "quantity",
        "days_supply",
        "refills_left",
        "reason",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["formulary_entry"].label = "New medication"
        self.initial.setdefault("effective_on", timezone.localdate())

    def clean_effective_on(self):
        return _not_future(self.cleaned_data["effective_on"])


class StopForm(forms.Form):
    stopped_on = _date("Stopped on")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("stopped_on", timezone.localdate())

    def clean_stopped_on(self):
        return _not_future(self.cleaned_data["stopped_on"])


class FillForm(_Quantities):
    filled_on = _date("Filled on")

    field_order = ["filled_on", "quantity", "days_supply", "refills_left"]

    def __init__(self, *args, medication: Medication, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quantity"].required = True
        self.fields["days_supply"].required = True
        self.fields["quantity"].error_messages["required"] = "Give the quantity dispensed."
        self.fields["days_supply"].error_messages["required"] = "Give the days of supply."
        refills = medication.refills_left
        self.initial.update(
            filled_on=timezone.localdate(),
            quantity=medication.quantity,
            days_supply=medication.days_supply,
            refills_left=max(refills - 1, 0) if refills else refills,
        )

    def clean_filled_on(self):
        return _not_future(self.cleaned_data["filled_on"])


class ReportedMedicationForm(_MedicationChoice):
    """A medication the patient reports taking, as the therapist records it."""

    strength = forms.CharField(max_length=60, help_text="As the patient says it, e.g. 20 mg.")
    directions = forms.CharField(
        label="How the patient takes it", max_length=200, help_text="For example 1 at night."
    )
    frequency = forms.CharField(max_length=60, required=False)
    route = forms.ChoiceField(choices=Medication.Route.choices, initial=Medication.Route.ORAL)
    prescribed_elsewhere_by = forms.CharField(
        label="Prescribed by",
        max_length=120,
        required=False,
        help_text="For example the primary care doctor, or 'over the counter'.",
    )
    start_date = _date("Taking it since", "An approximate date is fine.")
    reason = forms.CharField(
        label="Note",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Anything the prescriber should know about it.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("start_date", timezone.localdate())

    def clean_start_date(self):
        return _not_future(self.cleaned_data["start_date"])


class ReportedMedicationUpdateForm(ReportedMedicationForm):
    """What changed in a patient-reported medication (from the date it changed)."""

    def __init__(self, *args, medication: Medication, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["start_date"]
        self.fields["effective_on"] = _date("Changed on")
        self.fields["reason"].label = "What the patient told you"
        for name in ("strength", "directions", "frequency", "route", "prescribed_elsewhere_by"):
            self.initial[name] = getattr(medication, name)
        self.initial_for(medication)
        self.initial["effective_on"] = timezone.localdate()

    def clean_effective_on(self):
        return _not_future(self.cleaned_data["effective_on"])


class RefillRequestForm(forms.Form):
    needed_by = _date("Needed by", "The day the patient runs out.")
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Pharmacy, or what the patient said.",
    )

    def __init__(self, *args, medication: Medication, lead_days: int, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        supply_ends = medication.supply_ends_on
        default = supply_ends if supply_ends and supply_ends >= today else today
        self.initial.setdefault("needed_by", default)
        if medication.is_controlled:
            self.fields["needed_by"].help_text = (
                f"The day the patient runs out. This is a controlled substance: the clinic "
                f"asks for {lead_days} days' notice, so a date before "
                f"{today + dt.timedelta(days=lead_days):%Y-%m-%d} makes this a late request."
            )

    def clean_needed_by(self):
        needed_by = self.cleaned_data["needed_by"]
        today = timezone.localdate()
        if needed_by < today:
            raise forms.ValidationError("The date it is needed cannot be in the past.")
        if needed_by > today + dt.timedelta(days=REFILL_HORIZON_DAYS):
            raise forms.ValidationError(f"Ask at most {REFILL_HORIZON_DAYS} days ahead.")
        return needed_by


class DeclineForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The therapist reads this and may explain it to the patient.",
        error_messages={"required": "Say why, so the therapist can explain it."},
    )


PLAN_ROWS = 6


class StepForm(forms.Form):
    """One step of a plan (also the form that changes a planned step)."""

    planned_on = _date("Takes effect on")
    strength = forms.CharField(max_length=60, help_text="Amount and unit, for example 0.75 mg.")
    directions = forms.CharField(label="Dose and directions", max_length=200)
    frequency = forms.CharField(max_length=60, required=False)
    units_per_dose = _per_dose()
    doses_per_day = _per_day()

    def clean_strength(self):
        return _strength(self.cleaned_data["strength"])

    def clean_planned_on(self):
        planned_on = self.cleaned_data["planned_on"]
        if planned_on <= timezone.localdate():
            raise forms.ValidationError("A planned step is in the future: from tomorrow on.")
        return planned_on


class PlanForm(forms.Form):
    """A titration or a taper: up to PLAN_ROWS steps in rows (a row left empty is no
    step), and why. ``cleaned_data["steps"]`` holds the steps for the service."""

    reason = forms.CharField(
        label="Why this plan",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="The therapist sees the plan and this reason under the release.",
    )

    def __init__(self, *args, medication: Medication, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for row in range(1, PLAN_ROWS + 1):
            names = []
            for name, field in StepForm.base_fields.items():
                copy = deepcopy(field)
                copy.label = f"Step {row}: {(field.label or name.replace('_', ' ')).lower()}"
                copy.required = False
                if row > 1:  # said once, on the first row
                    copy.help_text = ""
                self.fields[f"step{row}_{name}"] = copy
                names.append(f"step{row}_{name}")
            self.rows.append(names)
        self.order_fields([name for names in self.rows for name in names] + ["reason"])
        self.initial.setdefault("step1_frequency", medication.frequency)

    def step_rows(self) -> list[list]:
        """The bound fields of each row, for the page's table of steps."""
        return [[self[name] for name in names] for names in self.rows]

    def clean(self):
        cleaned = super().clean()
        steps = []
        for row, names in enumerate(self.rows, start=1):
            values = {name.split("_", 1)[1]: cleaned.get(name) for name in names}
            if not any(values.values()) and not any(self.errors.get(n) for n in names):
                continue
            for required in ("planned_on", "strength", "directions"):
                if not values.get(required) and f"step{row}_{required}" not in self.errors:
                    self.add_error(f"step{row}_{required}", "Needed for this step.")
            planned_on = values.get("planned_on")
            if planned_on and planned_on <= timezone.localdate():
                self.add_error(f"step{row}_planned_on", "A step is in the future: tomorrow on.")
            if values.get("strength"):
                try:
                    _strength(values["strength"])
                except forms.ValidationError as error:
                    self.add_error(f"step{row}_strength", error)
            values["frequency"] = values.get("frequency") or ""
            steps.append(values)
        if not steps and not self.errors:
            raise forms.ValidationError(
                "Plan at least one step: its date, strength and directions."
            )
        cleaned["steps"] = steps
        return cleaned
