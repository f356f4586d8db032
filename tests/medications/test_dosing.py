"""Dose changes that cannot contradict themselves: the dose as numbers, the total daily
dose, an increase that raises it, a decrease that lowers it, one unit per medication,
directions restated, and the data migration's reading of the text."""

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from medications import dosing, services
from medications.models import Medication, MedicationChange

from .kit import start

Kind = MedicationChange.Kind


def change(world, medication, **fields):
    values = {
        "medication": medication,
        "author": world.recipient.user,
        "kind": Kind.INCREASE,
        "strength": "100 mg",
        "directions": "1 tablet (100 mg) in the morning",
        "effective_on": timezone.localdate() - dt.timedelta(days=1),
    }
    values.update(fields)
    return services.medication_change_dose(**values)


def refusal(world, medication, **fields) -> dict:
    with pytest.raises(ValidationError) as error:
        change(world, medication, **fields)
    return (
        error.value.message_dict
        if hasattr(error.value, "error_dict")
        else {"__all__": error.value.messages}
    )


# --- reading the text (pure) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("50 mg", (Decimal(50), "mg")),
        ("0.5 mg", (Decimal("0.5"), "mg")),
        ("100mcg", (Decimal(100), "mcg")),
        ("1,5 mg", (Decimal("1.5"), "mg")),
        ("20 mg/ml", None),
        ("0.5-1 mg", None),
        ("fifty", None),
        ("0 mg", None),
    ],
)
def test_a_strength_is_read_as_an_amount_and_a_unit_or_not_at_all(text, expected):
    assert dosing.parse_strength(text) == expected


@pytest.mark.parametrize(
    ("directions", "frequency", "per_dose", "per_day"),
    [
        ("1 tablet in the morning", "once daily", 1, 1),
        ("2 capsules twice daily", "", 2, 2),
        ("½ tablet at bedtime", "", Decimal("0.5"), 1),
        ("1 tablet", "three times a day", 1, 3),
        ("0.5 mg at night", "", None, 1),  # says the strength, not how many
        ("as directed", "", None, None),
    ],
)
def test_quantity_per_dose_and_doses_a_day_are_read_from_the_text(
    directions, frequency, per_dose, per_day
):
    dose = dosing.dose_from_text("10 mg", directions, frequency)
    assert dose.per_dose == per_dose
    assert dose.per_day == per_day


def test_the_total_daily_dose_is_strength_times_quantity_times_doses_a_day():
    dose = dosing.dose_from_text("0.5 mg", "1 tablet twice daily")
    assert dose.daily == 1
    assert dose.daily_display == "1 mg a day"
    assert dosing.dose_from_text("25 mg", "as directed").daily is None


# --- the rules (service) -----------------------------------------------------------------

pytestmark_db = pytest.mark.django_db


@pytestmark_db
def test_a_started_medication_carries_its_dose_as_numbers(shared_world):
    medication = start(shared_world)
    assert (medication.strength_amount, medication.strength_unit) == (Decimal(50), "mg")
    assert (medication.units_per_dose, medication.doses_per_day) == (1, 1)
    assert medication.daily_dose == 50
    started = medication.changes.get()
    assert (started.daily_dose_before, started.daily_dose_after, started.dose_unit) == (
        None,
        50,
        "mg",
    )


@pytestmark_db
def test_an_increase_records_the_total_daily_dose_before_and_after(shared_world):
    medication = start(shared_world)
    increase = change(shared_world, medication, doses_per_day=Decimal(2), frequency="twice daily")
    assert (increase.daily_dose_before, increase.daily_dose_after) == (50, 200)
    assert increase.dose_unit == "mg"


@pytestmark_db
def test_an_increase_to_a_lower_dose_is_refused(shared_world):
    medication = start(shared_world)
    errors = refusal(shared_world, medication, strength="25 mg", directions="1 tablet (25 mg)")
    assert "An increase must raise the total daily dose" in errors["kind"][0]
    assert "50 mg a day now and would be 25 mg a day" in errors["kind"][0]
    medication.refresh_from_db()
    assert medication.strength == "50 mg"
    assert medication.changes.count() == 1


@pytestmark_db
def test_a_decrease_to_a_higher_dose_is_refused(shared_world):
    medication = start(shared_world)
    errors = refusal(shared_world, medication, kind=Kind.DECREASE)
    assert "A decrease must lower the total daily dose" in errors["kind"][0]


@pytestmark_db
def test_a_lower_strength_taken_more_often_is_an_increase_by_the_total(shared_world):
    medication = start(shared_world)
    # 25 mg three times a day is 75 mg a day: more than 50, though the strength is lower.
    errors = refusal(
        shared_world,
        medication,
        kind=Kind.DECREASE,
        strength="25 mg",
        directions="1 tablet (25 mg) three times a day",
        frequency="",
    )
    assert "75 mg a day" in errors["kind"][0]
    increase = change(
        shared_world,
        medication,
        strength="25 mg",
        directions="1 tablet (25 mg) three times a day",
        frequency="",
    )
    assert increase.daily_dose_after == 75


@pytestmark_db
def test_the_same_total_daily_dose_is_refused(shared_world):
    medication = start(shared_world)
    errors = refusal(
        shared_world,
        medication,
        strength="25 mg",
        directions="2 tablets (25 mg) in the morning",
        units_per_dose=Decimal(2),
    )
    assert "same as the current one (50 mg a day)" in errors["__all__"][0]


@pytestmark_db
def test_a_dose_change_keeps_the_unit_of_the_medication(shared_world):
    medication = start(shared_world)
    errors = refusal(shared_world, medication, strength="100 mcg")
    assert "counted in mg" in errors["strength"][0]


@pytestmark_db
def test_a_structured_dose_is_not_changed_to_an_unreadable_strength(shared_world):
    medication = start(shared_world)
    errors = refusal(shared_world, medication, strength="20 mg/ml")
    assert "amount and a unit" in errors["strength"][0]


@pytestmark_db
def test_directions_must_be_restated_when_the_strength_changes(shared_world):
    medication = start(shared_world)
    errors = refusal(shared_world, medication, directions="1 tablet in the morning")
    assert "restate the directions" in errors["directions"][0]


@pytestmark_db
def test_numbers_that_contradict_the_directions_are_refused(shared_world):
    medication = start(shared_world)
    errors = refusal(shared_world, medication, units_per_dose=Decimal(2))
    assert "The directions say 1 per dose" in errors["units_per_dose"][0]


@pytestmark_db
def test_an_unstructured_dose_changes_by_the_text_rules_only(shared_world):
    medication = start(shared_world, strength="20 mg/ml", directions="as directed", frequency="")
    assert medication.daily_dose is None
    lower = change(shared_world, medication, strength="10 mg/ml", directions="5 ml daily")
    assert lower.daily_dose_before is None
    with pytest.raises(ValidationError, match="same as the current"):
        change(shared_world, medication, strength="10 mg/ml", directions="5 ml daily")


# --- the form ------------------------------------------------------------------------------


@pytestmark_db
def test_the_dose_form_starts_from_the_numbers_and_shows_each_refusal(shared_world, client):
    medication = start(shared_world)
    client.force_login(shared_world.recipient.user)
    url = reverse("medications:dose", args=[medication.pk])
    page = client.get(url)
    form = page.context["form"]
    assert form["units_per_dose"].value() == 1
    assert "Now 50 mg a day" in page.content.decode()
    response = client.post(
        url,
        {"kind": "increase", "strength": "25 mg", "directions": "1 tablet (25 mg) daily",
         "frequency": "once daily", "units_per_dose": "1", "doses_per_day": "1",
         "effective_on": timezone.localdate().isoformat()},
    )  # fmt: skip
    assert response.status_code == 200
    assert "An increase must raise the total daily dose" in response.content.decode()
    response = client.post(
        url,
        {"kind": "increase", "strength": "100 mg", "directions": "1 tablet in the morning",
         "frequency": "once daily", "units_per_dose": "1", "doses_per_day": "1",
         "effective_on": timezone.localdate().isoformat()},
    )  # fmt: skip
    assert "restate the directions" in response.content.decode()
    assert medication.changes.count() == 1


# --- the data migration --------------------------------------------------------------------


@pytestmark_db
def test_the_migration_gives_rows_on_file_their_numbers_where_the_text_says_them(shared_world):
    from django.apps import apps

    migration = importlib.import_module("medications.migrations.0006_dose_numbers")
    readable = start(shared_world)
    unreadable = start(
        shared_world, name="Lithium", strength="300 mg/5 ml", directions="as directed"
    )
    blank = {"strength_amount": None, "strength_unit": "", "units_per_dose": None}
    Medication.objects.update(doses_per_day=None, **blank)
    MedicationChange.objects.update(daily_dose_after=None, dose_unit="")
    migration.parse(apps, None)
    readable.refresh_from_db()
    unreadable.refresh_from_db()
    assert readable.daily_dose == 50
    assert unreadable.daily_dose is None
    assert unreadable.strength == "300 mg/5 ml"  # the text stays
    assert readable.changes.get().daily_dose_after == 50


def test_a_daily_dose_keeps_four_decimal_places_as_stored():
    dose = dosing.Dose(
        amount=Decimal("0.125"), unit="mg", per_dose=Decimal("0.25"), per_day=Decimal("1.5")
    )
    assert dose.daily == Decimal("0.0469")
