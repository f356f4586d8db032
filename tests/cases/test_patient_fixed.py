"""A record's patient never changes once written (issue 11, hole 2): a clinic admin
moving a case to another patient carried its notes under the other patient's release.
The admin, full_clean and the database itself refuse it."""

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, InternalError, connection, transaction
from django.urls import reverse

from cases import fixity
from cases.demo import clinic_admin_group
from cases.models import Case, Observation
from medications import services as med_services
from medications.models import Medication, MedicationChange
from releases import gate
from tests.factories import CaseFactory, PatientFactory, observation, on_team

pytestmark = pytest.mark.django_db

DatabaseRefused = (IntegrityError, InternalError)


@pytest.fixture
def second_patient(world):
    return PatientFactory(clinic=world.clinic, family_name="Secondpatient")


def test_every_hop_of_every_registered_patient_path_is_fixed():
    for kind in gate.kinds():
        model = kind.model
        for part in kind.patient_path.split("__"):
            assert part in fixity.fixed_fields(model), (model, part)
            assert issubclass(model, fixity.FixedOnceWritten), model
            model = model._meta.get_field(part).related_model
    assert "patient" in fixity.fixed_fields(Case)


def test_the_case_admin_shows_the_patient_read_only_and_ignores_a_posted_patient(
    client, world, second_patient
):
    admin = world.clinic_admin.user
    admin.is_staff = True
    admin.save()
    admin.groups.add(clinic_admin_group())
    client.force_login(admin)
    url = reverse("admin:cases_case_change", args=[world.case.pk])
    page = client.get(url).content.decode()
    assert 'name="patient"' not in page
    client.post(
        url,
        {
            "patient": second_patient.pk,
            "opened_on": world.case.opened_on.isoformat(),
            "status": "open",
            "care_team-TOTAL_FORMS": "0",
            "care_team-INITIAL_FORMS": "0",
        },
    )
    world.case.refresh_from_db()
    assert world.case.patient_id == world.patient.pk


def test_full_clean_refuses_a_case_moved_to_another_patient(world, second_patient):
    case = Case.objects.get(pk=world.case.pk)
    case.patient = second_patient
    with pytest.raises(ValidationError):
        case.full_clean()
    case.patient = world.patient
    case.full_clean()  # unmoved: fine


def test_full_clean_refuses_an_observation_moved_to_another_case(world, second_patient):
    note = Observation.objects.get(pk=observation(world.case, world.author.user).pk)
    note.case = CaseFactory(patient=second_patient)
    with pytest.raises(ValidationError):
        note.full_clean()


def test_the_database_refuses_to_move_a_case_to_another_patient(world, second_patient):
    with pytest.raises(DatabaseRefused), transaction.atomic():
        Case.objects.filter(pk=world.case.pk).update(patient=second_patient)
    assert Case.objects.get(pk=world.case.pk).patient_id == world.patient.pk


def test_the_database_refuses_to_move_an_observation_to_another_case(world, second_patient):
    note = observation(world.case, world.author.user)
    other_case = CaseFactory(patient=second_patient)
    with pytest.raises(DatabaseRefused), transaction.atomic():
        Observation.objects.filter(pk=note.pk).update(case=other_case)
    # Other columns still change as before.
    Observation.objects.filter(pk=note.pk).update(body="Edited")


def test_the_database_refuses_to_move_a_medication_or_its_change(world, second_patient):
    medication = med_services.medication_report(
        author=world.author.user,
        patient=world.patient,
        name="sertraline",
        strength="50 mg",
        directions="once daily",
        prescribed_elsewhere_by="Dr Elsewhere",
    )
    with pytest.raises(DatabaseRefused), transaction.atomic():
        Medication.objects.filter(pk=medication.pk).update(patient=second_patient)
    on_team(CaseFactory(patient=second_patient), world.author)
    other = med_services.medication_report(
        author=world.author.user,
        patient=second_patient,
        name="bupropion",
        strength="150 mg",
        directions="once daily",
        prescribed_elsewhere_by="Dr Elsewhere",
    )
    change = MedicationChange.objects.get(medication=medication)
    with pytest.raises(DatabaseRefused), transaction.atomic():
        MedicationChange.objects.filter(pk=change.pk).update(medication=other)


def test_a_trigger_guards_every_fixed_column():
    tables = {model._meta.db_table for model in apps.get_models()}
    columns = fixity.fixed_columns()
    assert columns and all(table in tables for table, _ in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT event_object_table, tgname FROM information_schema.triggers t "
            "JOIN pg_trigger ON tgname = t.trigger_name"
        )
        names = {row[1] for row in cursor.fetchall()}
    for table, column in columns:
        assert fixity._trigger_name(table, column) in names
