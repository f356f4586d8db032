"""Each role lands on its own home page."""

import pytest
from django.urls import reverse

from cases.models import Clinician
from tests.factories import ClinicianFactory, UserFactory

pytestmark = pytest.mark.django_db

Role = Clinician.Role


@pytest.mark.parametrize(
    ("role", "template"),
    [
        (Role.PRESCRIBER, "cases/home_prescriber.html"),
        (Role.THERAPIST, "cases/home_therapist.html"),
        (Role.CLINIC_ADMIN, "cases/home_clinic_admin.html"),
    ],
)
def test_each_role_lands_on_its_home_page(client, role, template):
    client.force_login(ClinicianFactory(role=role).user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert template in [t.name for t in response.templates]


def test_a_user_without_a_clinical_role_sees_no_patients(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "cases/home_norole.html" in [t.name for t in response.templates]
    assert b"no patients" in response.content


def test_a_therapist_cannot_open_the_clinic_admin_pages(client):
    client.force_login(ClinicianFactory(role=Role.THERAPIST).user)
    assert client.get(reverse("releases:list")).status_code == 404
