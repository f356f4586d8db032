"""Planned titrations and tapers: the prescriber plans steps (date, dose, directions),
each checked against the dose before it; each takes effect on its date, exactly once,
as a dose change that the check-in reminders count; the remaining steps can be changed
or cancelled; the therapist sees the plan."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from medications import selectors, services, tasks
from medications.models import MedicationChange, PlannedStep
from messaging.models import Reminder
from messaging.reminders import reminders_sweep

from .kit import start

pytestmark = pytest.mark.django_db

Kind = MedicationChange.Kind
TZ = ZoneInfo(settings.TIME_ZONE)
TODAY = dt.date(2026, 3, 2)


def at(day: dt.date, hour: int = 0, minute: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


def day(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


@pytest.fixture(autouse=True)
def clock():
    """The world is made at noon on TODAY; tests move the clock on."""
    traveller = time_machine.travel(at(TODAY, 12), tick=False)
    coordinates = traveller.start()
    yield coordinates
    traveller.stop()


def titration(world, medication, **fields):
    """50 mg a day now; 100 mg, 150 mg, 200 mg a week apart."""
    values = {
        "medication": medication,
        "author": world.recipient.user,
        "steps": [
            {"planned_on": day(7), "strength": "100 mg", "directions": "1 tablet (100 mg) daily"},
            {"planned_on": day(14), "strength": "150 mg", "directions": "1 tablet (150 mg) daily"},
            {"planned_on": day(21), "strength": "200 mg", "directions": "1 tablet (200 mg) daily"},
        ],
        "reason": "Titrate to effect",
    }
    values.update(fields)
    return services.medication_plan_steps(**values)


def test_a_planned_titration_has_its_doses_as_numbers_and_changes_nothing_yet(shared_world):
    medication = start(shared_world)
    steps = titration(shared_world, medication)
    assert [step.daily_dose for step in steps] == [100, 150, 200]
    assert {step.dose_unit for step in steps} == {"mg"}
    medication.refresh_from_db()
    assert medication.strength == "50 mg"
    assert medication.changes.count() == 1


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ({"planned_on": TODAY, "strength": "100 mg", "directions": "1 tablet (100 mg)"},
         "not in the future"),
        ({"planned_on": day(3), "strength": "25 mg", "directions": "2 tablets (25 mg)",
          "units_per_dose": Decimal(2)}, "same as the current one"),
        ({"planned_on": day(3), "strength": "100 mcg", "directions": "1 tablet (100 mcg)"},
         "counted in mg"),
        ({"planned_on": day(3), "strength": "100 mg", "directions": "1 tablet in the morning"},
         "restate the directions"),
    ],
)  # fmt: skip
def test_a_step_that_contradicts_the_dose_before_it_is_refused(shared_world, step, message):
    medication = start(shared_world)
    with pytest.raises(ValidationError, match=message):
        services.medication_plan_steps(
            medication=medication, author=shared_world.recipient.user, steps=[step]
        )
    assert not PlannedStep.objects.exists()


def test_each_step_is_checked_against_the_step_before_it(shared_world):
    medication = start(shared_world)
    with pytest.raises(ValidationError, match="2026-03-16: The new dose is the same"):
        titration(
            shared_world,
            medication,
            steps=[
                {"planned_on": day(7), "strength": "100 mg", "directions": "1 tablet (100 mg)"},
                {"planned_on": day(14), "strength": "100 mg", "directions": "1 tablet (100 mg)"},
            ],
        )
    with pytest.raises(ValidationError, match="Two steps"):
        titration(
            shared_world,
            medication,
            steps=[
                {"planned_on": day(7), "strength": "100 mg", "directions": "1 tablet (100 mg)"},
                {"planned_on": day(7), "strength": "150 mg", "directions": "1 tablet (150 mg)"},
            ],
        )


def test_only_the_prescriber_of_the_medication_plans_it(shared_world):
    medication = start(shared_world)
    with pytest.raises(PermissionDenied):
        titration(shared_world, medication, author=shared_world.author.user)


def test_a_planned_step_takes_effect_once_on_its_date(shared_world, clock):
    medication = start(shared_world)
    first, second, _ = titration(shared_world, medication)
    clock.move_to(at(day(6), 23, 59))
    assert tasks.planned_steps_take_effect() == {"due": 0, "applied": 0}

    clock.move_to(at(day(7)))
    assert tasks.planned_steps_take_effect() == {"due": 1, "applied": 1}
    assert tasks.planned_steps_take_effect() == {"due": 0, "applied": 0}  # a second run
    assert services.planned_step_take_effect(step_id=first.pk) is False  # a retried task
    first.refresh_from_db()
    medication.refresh_from_db()
    assert first.status == PlannedStep.Status.DONE
    change = first.change
    assert (change.kind, change.effective_on, change.author) == (
        Kind.INCREASE,
        day(7),
        shared_world.recipient.user,
    )
    assert (change.daily_dose_before, change.daily_dose_after) == (50, 100)
    assert medication.strength == "100 mg"
    assert medication.changes.filter(kind=Kind.INCREASE).count() == 1
    second.refresh_from_db()
    assert second.status == PlannedStep.Status.PLANNED


def test_a_missed_day_catches_up_with_the_steps_own_date(shared_world, clock):
    medication = start(shared_world)
    titration(shared_world, medication)
    clock.move_to(at(day(15)))  # the workers were down for two steps
    assert tasks.planned_steps_take_effect() == {"due": 2, "applied": 2}
    assert list(
        medication.changes.filter(kind=Kind.INCREASE)
        .order_by("effective_on")
        .values_list("effective_on", flat=True)
    ) == [day(7), day(14)]


def test_a_step_that_takes_effect_asks_the_therapist_for_a_checkin(shared_world, clock):
    medication = start(shared_world)
    first, *_ = titration(shared_world, medication)
    clock.move_to(at(day(7)))
    tasks.planned_steps_take_effect()
    first.refresh_from_db()
    clock.move_to(at(day(14), 9))
    reminders_sweep(kinds=[Reminder.Kind.CHECKIN_DUE])
    assert Reminder.objects.filter(
        kind=Reminder.Kind.CHECKIN_DUE,
        subject_id=first.change_id,
        due_on=day(14),
        recipient=shared_world.author.user,
    ).exists()


def test_a_step_the_medication_no_longer_allows_is_not_applied_and_says_why(shared_world, clock):
    medication = start(shared_world)
    first, *_ = titration(shared_world, medication)
    clock.move_to(at(day(5), 12))
    services.medication_change_dose(
        medication=medication,
        author=shared_world.recipient.user,
        kind=Kind.INCREASE,
        strength="100 mg",
        directions="1 tablet (100 mg) daily",
    )
    clock.move_to(at(day(7)))
    assert tasks.planned_steps_take_effect() == {"due": 1, "applied": 0}
    first.refresh_from_db()
    assert first.status == PlannedStep.Status.NOT_APPLIED
    assert "same as the current one" in first.outcome
    assert first.change is None


def test_the_remaining_steps_can_be_changed_or_cancelled(shared_world):
    medication = start(shared_world)
    first, second, third = titration(shared_world, medication)
    prescriber = shared_world.recipient.user
    services.planned_step_change(
        step=second, author=prescriber, strength="125 mg", directions="1 tablet (125 mg) daily"
    )
    second.refresh_from_db()
    assert second.daily_dose == 125
    with pytest.raises(ValidationError, match="same as the current"):
        services.planned_step_change(
            step=third, author=prescriber, strength="125 mg", directions="1 tablet daily"
        )
    assert services.planned_steps_cancel(medication=medication, author=prescriber, step=first) == 1
    assert services.planned_steps_cancel(medication=medication, author=prescriber) == 2
    assert not PlannedStep.objects.filter(status=PlannedStep.Status.PLANNED).exists()


def test_stopping_the_medication_cancels_its_plan(shared_world):
    medication = start(shared_world)
    titration(shared_world, medication)
    services.medication_stop(medication=medication, author=shared_world.recipient.user)
    assert set(PlannedStep.objects.values_list("status", flat=True)) == {"cancelled"}


def test_the_therapist_sees_the_plan_on_the_list_and_the_timeline(shared_world, client):
    medication = start(shared_world)
    titration(shared_world, medication)
    therapist = shared_world.author.user
    assert len(selectors.planned_steps_visible_to(therapist, patient=shared_world.patient)) == 3
    client.force_login(therapist)
    page = client.get(reverse("cases:patient_detail", args=[shared_world.patient.pk]))
    body = page.content.decode()
    assert body.count('class="planned-step"') == 3  # the timeline
    assert "2026-03-09: 100 mg (100 mg a day)" in body  # the medication list
    assert 'href="/medications/' in body


def test_a_colleague_without_a_release_and_another_clinic_see_no_plan(shared_world):
    medication = start(shared_world)
    titration(shared_world, medication)
    for persona in ("colleague", "other_clinic"):
        user = shared_world.user(persona)
        assert not selectors.planned_steps_visible_to(user).exists()


def test_the_prescriber_plans_on_the_page_and_errors_show_per_step(shared_world, client):
    medication = start(shared_world)
    client.force_login(shared_world.recipient.user)
    url = reverse("medications:plan", args=[medication.pk])
    assert client.get(url).status_code == 200
    posted = {
        "step1_planned_on": "2026-03-09",
        "step1_strength": "25 mg",
        "step1_directions": "1 tablet (25 mg)",
        "step2_strength": "x",
    }
    refused = client.post(url, posted)
    assert refused.status_code == 200
    body = refused.content.decode()
    assert "Needed for this step" in body
    assert "Give the strength with its amount" in body
    response = client.post(
        url,
        {"step1_planned_on": "2026-03-09", "step1_strength": "100 mg",
         "step1_directions": "1 tablet (100 mg) daily", "step2_planned_on": "2026-03-16",
         "step2_strength": "150 mg", "step2_directions": "1 tablet (150 mg) daily",
         "reason": "Titrate"},
    )  # fmt: skip
    assert response.status_code == 302
    assert PlannedStep.objects.filter(medication=medication).count() == 2
    step = PlannedStep.objects.earliest("planned_on")
    cancel = client.post(reverse("medications:step_cancel", args=[step.pk]))
    assert cancel.status_code == 302
    step.refresh_from_db()
    assert step.status == PlannedStep.Status.CANCELLED


def test_the_plan_pages_refuse_the_therapist(shared_world, client):
    medication = start(shared_world)
    (step,) = titration(
        shared_world,
        medication,
        steps=[{"planned_on": day(7), "strength": "100 mg", "directions": "1 tablet (100 mg)"}],
    )
    client.force_login(shared_world.author.user)
    assert client.get(reverse("medications:plan", args=[medication.pk])).status_code in (403, 404)
    response = client.post(reverse("medications:step_cancel", args=[step.pk]))
    assert response.status_code in (403, 404)
    step.refresh_from_db()
    assert step.status == PlannedStep.Status.PLANNED


def test_a_step_does_not_take_effect_once_its_prescriber_left_the_care_team(shared_world, clock):
    from cases.models import CareTeamMember

    medication = start(shared_world)
    first, *_ = titration(shared_world, medication)
    CareTeamMember.objects.filter(clinician=shared_world.recipient).delete()
    clock.move_to(at(day(7)))
    assert tasks.planned_steps_take_effect() == {"due": 1, "applied": 0}
    first.refresh_from_db()
    assert first.status == PlannedStep.Status.NOT_APPLIED
    assert "care team" in first.outcome
