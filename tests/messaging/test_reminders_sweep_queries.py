"""The sweeps are set-based: each kind is a few SQL statements whatever the number of
patients, medications, changes, questions and recipients (no query per row or per
recipient), and what they find is the same for every pair of clinicians."""

import dataclasses
import datetime as dt

import pytest

from cases.models import Clinician
from medications.models import MedicationChange
from messaging.models import Reminder
from tests.factories import CaseFactory, ClinicianFactory, PatientFactory, count_queries, on_team
from tests.releasekit import share

from .test_reminders_kit import (  # noqa: F401  (the fixtures clock and rem)
    change,
    clock_fixture,
    due,
    medication,
    question,
    refill_request,
    rem_fixture,
    sweep,
)

pytestmark = pytest.mark.django_db

Kind = Reminder.Kind


def something_due_for_everyone(world, today: dt.date) -> None:
    """A refill due, a late refill request, a start due for its check-in and a question
    waiting, for the world's patient and its therapist and prescriber."""
    filled = medication(world, last_fill_date=today - dt.timedelta(days=25), days_supply=30)
    refill_request(world, medication(world, schedule="II", name="Controlled"), late=True)
    change(
        world,
        medication(world, name="Started"),
        MedicationChange.Kind.START,
        today - dt.timedelta(days=7),
    )
    question(world)
    assert filled.pk


def another_pair(world, n: int):
    """Another patient of the clinic, with a therapist and a prescriber of their own who
    share everything under a mutual release."""
    therapist = ClinicianFactory(
        user__username=f"therapist{n}", clinic=world.clinic, role=Clinician.Role.THERAPIST
    )
    prescriber = ClinicianFactory(
        user__username=f"prescriber{n}", clinic=world.clinic, role=Clinician.Role.PRESCRIBER
    )
    patient = PatientFactory(clinic=world.clinic)
    case = CaseFactory(patient=patient)
    on_team(case, therapist, prescriber)
    pair = dataclasses.replace(
        world, patient=patient, case=case, author=therapist, recipient=prescriber
    )
    share(pair)
    return pair


def test_a_sweep_runs_as_many_queries_for_many_patients_and_clinicians_as_for_one(rem, clock):
    something_due_for_everyone(rem, clock.today)
    clock.to(clock.today + dt.timedelta(days=5))  # the question has waited 2 working days
    today = clock.today
    one = count_queries(sweep)
    assert due(Kind.REFILL_DUE) and due(Kind.CHECKIN_DUE) and due(Kind.CONSULT_WAITING)

    for n in range(4):
        something_due_for_everyone(another_pair(rem, n), today)
    many = count_queries(sweep)

    assert {name for name, _ in due(Kind.REFILL_DUE)} >= {"therapist3", "prescriber3"}
    assert {name for name, _ in due(Kind.CHECKIN_DUE)} >= {"therapist3"}
    assert many == one
