"""A new reader never appears silently: when a clinician joins a patient's care team or
is named a release's recipient, the rest of the care team is told (in the app; the text
holds no patient name).

The world's personas: ``author`` (therapist) and ``recipient``, ``colleague`` and
``other_category`` (prescribers) are on the patient's care team; Pat is a new
prescriber of the clinic.
"""

import datetime as dt

import pytest
from django.utils import timezone

from cases import services as case_services
from notifications.models import Notification
from releases import services as release_services
from tests.factories import ClinicianFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pat(world):
    return ClinicianFactory(
        user__username="pat", user__last_name="Newcomer", clinic=world.clinic, role="prescriber"
    )


@pytest.fixture(autouse=True)
def _quiet_before(world):
    """What building the world told is not what these tests look at."""
    Notification.objects.all().delete()


def told(world):
    return {n.recipient.username: n for n in Notification.objects.filter(kind="care_team")}


def test_joining_a_care_team_tells_everyone_else_on_it(world, pat):
    case_services.care_team_add(case=world.case, clinician=pat, role_on_case="prescriber")
    notes = told(world)
    assert set(notes) == {"author", "recipient", "colleague", "othercat"}
    text = notes["author"].text
    assert "joined the care team" in text
    assert world.patient.family_name not in text and world.patient.given_name not in text
    assert notes["author"].url == f"/cases/patients/{world.patient.pk}/"


def test_joining_twice_tells_once(world, pat):
    case_services.care_team_add(case=world.case, clinician=pat, role_on_case="prescriber")
    case_services.care_team_add(case=world.case, clinician=pat, role_on_case="prescriber")
    assert Notification.objects.filter(kind="care_team", recipient=world.author.user).count() == 1


def draft_release_to_colleague(world):
    today = timezone.localdate()
    return release_services.release_create(
        actor=world.clinic_admin.user,
        patient=world.patient,
        recipient=world.colleague,
        discloser_clinician=world.author,
        scope=["observations"],
        purpose="Treatment",
        effective_on=today,
        expires_on=today + dt.timedelta(days=90),
    )


def test_naming_a_release_recipient_tells_the_care_team(world):
    draft_release_to_colleague(world)
    notes = told(world)
    assert set(notes) == {"author", "recipient", "othercat"}
    assert "recipient of an information release" in notes["author"].text
    assert world.patient.family_name not in notes["author"].text


def test_changing_a_drafts_recipient_tells_the_care_team_again(world):
    release = draft_release_to_colleague(world)
    Notification.objects.all().delete()
    release_services.release_update_draft(release=release, recipient=world.other_category)
    assert set(told(world)) == {"author", "recipient", "colleague"}


def test_a_member_added_in_the_admin_is_announced_too(world, pat, as_user):
    from django.urls import reverse

    from cases.demo import clinic_admin_group

    admin_user = world.clinic_admin.user
    admin_user.is_staff = True
    admin_user.save()
    admin_user.groups.add(clinic_admin_group())
    client = as_user(admin_user)
    url = reverse("admin:cases_case_change", args=[world.case.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {
        key: value
        for key, value in form.initial.items()
        if value is not None and not hasattr(value, "pk")
    }
    data.update(
        {
            "patient": world.patient.pk,
            "status": world.case.status,
            "opened_on": world.case.opened_on.isoformat(),
        }
    )
    inline = page.context["inline_admin_formsets"][0].formset
    prefix = inline.prefix
    existing = list(inline.queryset)
    data[f"{prefix}-TOTAL_FORMS"] = len(existing) + 1
    data[f"{prefix}-INITIAL_FORMS"] = len(existing)
    for index, member in enumerate(existing):
        data[f"{prefix}-{index}-id"] = member.pk
        data[f"{prefix}-{index}-case"] = world.case.pk
        data[f"{prefix}-{index}-clinician"] = member.clinician_id
        data[f"{prefix}-{index}-role_on_case"] = member.role_on_case
        data[f"{prefix}-{index}-joined_on"] = member.joined_on.isoformat()
    new = len(existing)
    data[f"{prefix}-{new}-case"] = world.case.pk
    data[f"{prefix}-{new}-clinician"] = pat.pk
    data[f"{prefix}-{new}-role_on_case"] = "prescriber"
    data[f"{prefix}-{new}-joined_on"] = timezone.localdate().isoformat()
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context.get("errors")
    assert set(told(world)) == {"author", "recipient", "colleague", "othercat"}
