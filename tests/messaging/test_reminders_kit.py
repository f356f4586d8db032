"""Helpers of the reminder tests (no tests here): a frozen clock and a world with a
mutual release, medications, refill requests and questions written straight to the
tables, so the reminder rules are tested without the other apps' forms.

Test modules import the fixtures ``clock_fixture`` and ``rem_fixture`` (used as
``clock`` and ``rem``). The world is tests/conftest.py's: ``author`` (therapist) and
``recipient`` (prescriber) share everything under a mutual release; ``colleague`` (a
prescriber on the care team with no release) and ``other_category`` (a release for
observations only) may read no medication of theirs; ``clinic_admin`` runs the clinic.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from cases.models import Observation
from medications.models import Medication, MedicationChange, RefillRequest
from messaging import reminders
from messaging.models import Message, Reminder
from releases import gate

TZ = zoneinfo.ZoneInfo(settings.TIME_ZONE)
START = dt.date(2027, 1, 15)


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TZ)


class Clock:
    """The frozen clock of a test: ``clock.to(date)`` moves it (09:00 local)."""

    def __init__(self, traveller):
        self.traveller = traveller

    def to(self, day: dt.date, hour: int = 9) -> None:
        self.traveller.move_to(at(day, hour))

    @property
    def today(self) -> dt.date:
        return timezone.localdate()


@pytest.fixture(name="clock")
def clock_fixture():
    traveller = time_machine.travel(at(START), tick=False)
    coordinates = traveller.start()
    yield Clock(coordinates)
    traveller.stop()


@pytest.fixture(name="rem")
def rem_fixture(clock, shared_world):
    """tests/conftest.py's shared world, made on START (the clock is frozen first)."""
    return shared_world


def medication(world, *, schedule: str = "", **fields) -> Medication:
    """A medication the prescriber (``recipient``) recorded for the world's patient."""
    fields.setdefault("start_date", timezone.localdate())
    medication = Medication.objects.create(
        patient=world.patient,
        name=fields.pop("name", "Synthetamine"),
        strength="10 mg",
        directions="1 tablet in the morning",
        recorded_by=world.recipient.user,
        prescriber=world.recipient,
        controlled_schedule=schedule,
        **fields,
    )
    gate.grants_for_new_object(medication)
    return medication


def change(world, medication: Medication, kind: str, on: dt.date, **fields) -> MedicationChange:
    change = MedicationChange.objects.create(
        medication=medication, kind=kind, effective_on=on, author=world.recipient.user, **fields
    )
    gate.grants_for_new_object(change)
    return change


def stop(world, medication: Medication, on: dt.date) -> MedicationChange:
    Medication.objects.filter(pk=medication.pk).update(
        status=Medication.Status.STOPPED, stop_date=on
    )
    return change(world, medication, MedicationChange.Kind.STOP, on)


def refill_request(world, medication: Medication, *, late: bool, **fields) -> RefillRequest:
    fields.setdefault("needed_by", timezone.localdate() + dt.timedelta(days=3))
    request = RefillRequest.objects.create(
        medication=medication, requested_by=world.author.user, late=late, **fields
    )
    gate.grants_for_new_object(request)
    return request


def observation(world, *, author=None, medications=(), **fields) -> Observation:
    """An observation written straight to the table (dated today unless said)."""
    fields.setdefault("observed_on", timezone.localdate())
    fields.setdefault("body", "Synthetic observation")
    observation = Observation.objects.create(
        case=world.case, author=(author or world.author).user, **fields
    )
    if medications:
        observation.medications.set(medications)
    gate.grants_for_new_object(observation)
    return observation


def question(world, *, author=None) -> Message:
    message = Message.objects.create(
        case=world.case,
        author=(author or world.author).user,
        kind=Message.Kind.QUESTION,
        state=Message.State.OPEN,
        body="Synthetic question for the prescriber",
    )
    gate.grants_for_new_object(message)
    return message


def sweep(kind: str | None = None) -> dict:
    """Run the sweep (one kind, or all) without delivering."""
    return reminders.reminders_sweep(kinds=[kind] if kind else None)


def due(kind: str, **filters) -> set[tuple]:
    """(recipient username, due date) of the open reminders of a kind."""
    rows = Reminder.objects.filter(kind=kind, status__in=reminders.rules.OPEN, **filters)
    return set(rows.values_list("recipient__username", "due_on"))
