"""seed_demo builds the demo clinic; running it again changes nothing."""

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command

from cases.models import CareTeamMember, Clinician, Patient

pytestmark = pytest.mark.django_db

DEMO_PASSWORD = "carecollab-demo"


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.label not in {"sessions.Session"}
    }


def test_seed_demo_creates_the_four_demo_users_with_the_published_password():
    call_command("seed_demo", verbosity=0)
    users = get_user_model().objects
    for username, role in [
        ("prescriber", Clinician.Role.PRESCRIBER),
        ("therapist", Clinician.Role.THERAPIST),
        ("outsider", Clinician.Role.THERAPIST),
        ("clinicadmin", Clinician.Role.CLINIC_ADMIN),
    ]:
        user = users.get(username=username)
        assert user.check_password(DEMO_PASSWORD)
        assert user.clinician.role == role


def test_demo_care_teams_pair_prescriber_and_therapist_and_the_outsider_has_one_patient():
    call_command("seed_demo", verbosity=0)
    shared = Patient.objects.filter(cases__care_team__clinician__user__username="prescriber")
    assert shared.count() >= 5
    for patient in shared:
        team = set(
            CareTeamMember.objects.filter(case__patient=patient).values_list(
                "clinician__user__username", flat=True
            )
        )
        assert team == {"prescriber", "therapist"}
    outsiders = Patient.objects.filter(cases__care_team__clinician__user__username="outsider")
    assert outsiders.count() == 1
    assert not outsiders.filter(cases__care_team__clinician__user__username="therapist").exists()


def test_running_seed_demo_twice_changes_nothing():
    call_command("seed_demo", verbosity=0)
    first = row_counts()
    call_command("seed_demo", verbosity=0)
    assert row_counts() == first
