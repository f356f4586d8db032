"""How a reminder's subject reaches its patient: the path its app registered with the
gate, so the reminders keep no map of their own."""

import dataclasses

import pytest
from django.core.exceptions import FieldDoesNotExist

from cases.models import Clinic, Patient
from messaging.reminders import rules
from releases import gate

SUBJECT_TYPES = [
    rules.MEDICATION,
    rules.CHANGE,
    rules.REFILL_REQUEST,
    rules.CASE,
    rules.RELEASE,
    rules.MESSAGE,
]


@pytest.mark.parametrize("subject_type", SUBJECT_TYPES)
def test_each_subject_reaches_its_patient_by_the_gates_path_or_its_own_patient_field(
    subject_type,
):
    model = rules.subject_model(subject_type)
    assert model._meta.label == subject_type
    try:
        registered = gate.kind_of(model).patient_path
    except LookupError:  # a case, a release: not shared PHI, they hold their patient
        registered = "patient"
    assert rules.patient_path(model) == registered
    assert rules.patient_id_field(model) == f"{registered}_id"


def test_a_shared_kind_registered_with_another_path_is_followed(monkeypatch):
    from messaging.models import Message

    kind = gate.kind_of(Message)
    monkeypatch.setitem(gate._registry, Message, dataclasses.replace(kind, patient_path="x"))
    assert rules.patient_path(Message) == "x"


def test_a_patient_is_its_own_and_a_model_without_a_patient_is_refused():
    assert rules.patient_path(Patient) == ""
    assert rules.patient_id_field(Patient) == "pk"
    with pytest.raises(FieldDoesNotExist):
        rules.patient_path(Clinic)


@pytest.mark.django_db
def test_patient_id_of_follows_the_path_for_every_kind_of_subject(world):
    from tests.factories import observation

    note = observation(world.case, world.author.user)
    for subject in (world.patient, world.case, note):
        assert rules.patient_id_of(subject) == world.patient.pk
