"""Helpers for medication tests: medications written through the services (the shared
world, with its release, is tests/conftest.py's ``shared_world``)."""

import datetime as dt

from django.utils import timezone

from medications import services


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
