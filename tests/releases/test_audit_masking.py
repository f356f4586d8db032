"""Clinical values never appear in clear in the change history (issue 11, hole 6): the
medication's name, strength and directions, a change's values, an observation's
structured answers (a private one's too). Who changed which field, and when, stays."""

import json

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from cases import services as case_services
from cases.models import Observation
from medications import services as med_services
from medications.models import Medication, MedicationChange
from tests.factories import observation

pytestmark = pytest.mark.django_db

SECRETS = [
    "sertraline",
    "Zoloft",
    "137 mg",
    "nine tablets at dawn",
    "eleven tablets at noon",
    "missed_doses",
    "worse",
]


def entries_of(model) -> list[LogEntry]:
    return list(
        LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(model)).exclude(
            action=LogEntry.Action.ACCESS
        )
    )


def assert_no_secret(entries):
    assert entries
    text = json.dumps([entry.changes for entry in entries]) + "".join(
        str(entry.changes_text) for entry in entries
    )
    for secret in SECRETS:
        assert secret not in text, secret


def test_a_medication_and_its_changes_are_masked_in_the_history(world):
    medication = med_services.medication_start(
        patient=world.patient,
        author=world.recipient.user,
        name="sertraline",
        strength="137 mg",
        directions="nine tablets at dawn",
        controlled_schedule="",
    )
    with set_actor(world.recipient.user):
        med_services.medication_change_dose(
            medication=medication,
            author=world.recipient.user,
            kind=MedicationChange.Kind.INCREASE,
            strength="150 mg",
            directions="eleven tablets at noon",
        )
    entries = entries_of(Medication) + entries_of(MedicationChange)
    assert_no_secret(entries)
    # Who, when and which field stay.
    update = next(e for e in entries_of(Medication) if e.action == LogEntry.Action.UPDATE)
    assert update.actor == world.recipient.user
    assert "strength" in update.changes_dict
    assert update.changes_dict["strength"] == ["[redacted]", "[redacted]"]


@pytest.mark.parametrize("shared", [True, False])
def test_an_observations_structured_answers_are_masked(world, shared):
    note = observation(
        world.case, world.author.user, adherence="as_prescribed", shared=shared, body="x"
    )
    case_services.observation_update(
        observation=note,
        author=world.author.user,
        adherence="missed_doses",
        response="worse",
        attitudes=["fear_of_dependency"],
    )
    entries = entries_of(Observation)
    assert_no_secret(entries)
    assert "fear_of_dependency" not in json.dumps([e.changes for e in entries])
    update = next(e for e in entries if e.action == LogEntry.Action.UPDATE)
    assert {"adherence", "response", "attitudes"} <= set(update.changes_dict)
