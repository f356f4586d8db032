"""Helpers for medication tests: a mutual release between the therapist (author) and
the prescriber (recipient) for medications and observations, and medications written
through the services."""

import datetime as dt

from django.utils import timezone

from cases.categories import Category
from medications import services
from tests.releasekit import make_release


def share(world):
    """Give the world an active mutual release therapist <-> prescriber."""
    world.extra["release"] = make_release(
        admin=world.clinic_admin.user,
        patient=world.patient,
        discloser=world.author,
        recipient=world.recipient,
        state="active",
        scope=[Category.MEDICATIONS, Category.OBSERVATIONS],
        mutual=True,
    )
    return world


def start(world, **fields):
    """A medication the recipient (the prescriber) starts."""
    values = {
        "patient": world.patient,
        "author": world.recipient.user,
        "name": "Sertraline",
        "strength": "50 mg",
        "directions": "1 tablet in the morning",
        "frequency": "once daily",
        "quantity": 30,
        "days_supply": 30,
        "refills_left": 3,
        "start_date": timezone.localdate() - dt.timedelta(days=40),
        "filled_on": timezone.localdate() - dt.timedelta(days=40),
    }
    values.update(fields)
    return services.medication_start(**values)


def report(world, **fields):
    """A medication the author (the therapist) records as patient-reported."""
    values = {
        "patient": world.patient,
        "author": world.author.user,
        "name": "Melatonin",
        "strength": "3 mg",
        "directions": "1 at bedtime",
        "prescribed_elsewhere_by": "Over the counter",
        "controlled_schedule": "",  # melatonin is not in the formulary
        "start_date": timezone.localdate() - dt.timedelta(days=100),
    }
    values.update(fields)
    return services.medication_report(**values)
