"""What a closed case means, decided once (issue 13.2, CareTeamQuerySet): a member of a
closed case still reads the patient's records under releases in force; writing needs
an open case; reminders go to members of open cases only."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from cases.models import CareTeamMember, Case, Patient
from medications import services as med_services
from messaging.reminders import rules
from releases import gate
from tests.factories import CaseFactory, observation, on_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed(shared_world):
    """The prescriber (recipient) is on a closed case of the patient only."""
    world = shared_world
    note = observation(world.case, world.author.user, body="Synthetic CLOSED-CASE-NOTE")
    CareTeamMember.objects.filter(case=world.case, clinician=world.recipient).delete()
    old = CaseFactory(patient=world.patient)
    on_team(old, world.recipient)
    Case.objects.filter(pk=old.pk).update(status=Case.Status.CLOSED, closed_on=timezone.localdate())
    world.extra.update(note=note, old=old)
    return world


def test_reading_a_member_of_a_closed_case_still_reads(closed, as_user):
    w = closed
    assert gate.can_read(w.recipient.user, w.extra["note"])
    body = as_user(w.recipient.user).get(reverse("cases:patient_detail", args=[w.patient.pk]))
    assert body.status_code == 200
    assert "CLOSED-CASE-NOTE" in body.content.decode()


def test_writing_needs_an_open_case(closed):
    w = closed
    with pytest.raises(PermissionDenied):
        observation(w.extra["old"], w.recipient.user)
    with pytest.raises(PermissionDenied):
        med_services.medication_start(
            patient=w.patient,
            author=w.recipient.user,
            name="sertraline",
            strength="50 mg",
            directions="once daily",
            controlled_schedule="",
        )


def test_reminders_go_to_members_of_open_cases_only(closed):
    w = closed
    # The reminder rules' recipients: clinicians on the patient's cases, as every rule
    # joins them (rules._with_team), for the patient of the closed case.
    team = set(
        rules._with_team(
            Patient.objects.filter(pk=w.patient.pk), "cases", rules.CLINICIANS
        ).values_list("r_recipient", flat=True)
    )
    assert w.author.user.pk in team
    assert w.recipient.user.pk not in team
    assert set(CareTeamMember.objects.reading().filter(case__patient=w.patient)) > set(
        CareTeamMember.objects.reminding().filter(case__patient=w.patient)
    )
