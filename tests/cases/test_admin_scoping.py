"""The Django admin shows a clinic admin their own clinic only, and no clinical text."""

import pytest
from django.urls import reverse

from cases.demo import clinic_admin_group
from cases.models import Clinician
from tests.factories import ClinicFactory, ClinicianFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_clinics():
    north, south = ClinicFactory(name="North"), ClinicFactory(name="South")
    admin = ClinicianFactory(clinic=north, role=Clinician.Role.CLINIC_ADMIN).user
    admin.is_staff = True
    admin.save()
    admin.groups.add(clinic_admin_group())
    ours = PatientFactory(clinic=north, family_name="Ourpatient")
    theirs = PatientFactory(clinic=south, family_name="Theirpatient")
    colleague = ClinicianFactory(clinic=north, user__username="norththerapist")
    stranger = ClinicianFactory(clinic=south, user__username="souththerapist")
    return admin, ours, theirs, colleague, stranger


def test_the_patient_list_shows_only_the_admins_clinic(client, two_clinics):
    admin, ours, theirs, *_ = two_clinics
    client.force_login(admin)
    response = client.get(reverse("admin:cases_patient_changelist"))
    assert response.status_code == 200
    assert b"Ourpatient" in response.content
    assert b"Theirpatient" not in response.content


def test_another_clinics_patient_cannot_be_opened(client, two_clinics):
    admin, ours, theirs, *_ = two_clinics
    client.force_login(admin)
    assert client.get(reverse("admin:cases_patient_change", args=[ours.pk])).status_code == 200
    response = client.get(reverse("admin:cases_patient_change", args=[theirs.pk]), follow=True)
    assert b"Theirpatient" not in response.content
    assert b"doesn" in response.content  # "... with ID ... doesn't exist"


def test_the_user_list_shows_only_the_admins_clinic(client, two_clinics):
    admin, _, _, colleague, stranger = two_clinics
    client.force_login(admin)
    content = client.get(reverse("admin:auth_user_changelist")).content
    assert b"norththerapist" in content
    assert b"souththerapist" not in content


def test_a_clinic_admin_cannot_grant_superuser_or_staff(client, two_clinics):
    admin, _, _, colleague, _ = two_clinics
    client.force_login(admin)
    content = client.get(reverse("admin:auth_user_change", args=[colleague.user.pk])).content
    assert b'name="is_superuser"' not in content
    assert b'name="is_staff"' not in content


def test_choices_in_forms_are_limited_to_the_clinic(client, two_clinics):
    admin, *_ = two_clinics
    client.force_login(admin)
    content = client.get(reverse("admin:cases_patient_add")).content.decode()
    assert ">North<" in content
    assert ">South<" not in content


def test_clinical_records_are_not_in_the_admin_at_all(client):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(superuser)
    index = client.get(reverse("admin:index")).content.decode()
    assert "Observations" not in index
    assert client.get("/admin/cases/observation/").status_code == 404
