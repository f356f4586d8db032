"""Who may download a release's signed document (issue 11, hole 3): the clinic admin,
the recipient, the disclosing clinician and, for a release from a whole clinic, that
clinic's clinicians on the patient's care team. Every other clinician of the clinic
gets the same logged 404 as for a document that does not exist."""

import pytest
from django.urls import reverse

from cases.models import Clinician
from tests.factories import ClinicianFactory
from tests.releasekit import make_release

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic_release(world):
    """A release from the whole clinic to the world's prescriber (``recipient``)."""
    return make_release(
        admin=world.clinic_admin.user,
        patient=world.patient,
        discloser=world.author,
        recipient=world.recipient,
        by_clinic=True,
    )


def status_for(as_user, user, release) -> int:
    return as_user(user).get(reverse("releases:document", args=[release.pk])).status_code


def test_the_admin_the_recipient_and_the_clinics_clinicians_on_the_team_download_it(
    as_user, world, clinic_release
):
    for clinician in (world.clinic_admin, world.recipient, world.author, world.colleague):
        assert status_for(as_user, clinician.user, clinic_release) == 200, clinician


def test_a_clinician_of_the_disclosing_clinic_off_the_care_team_gets_a_logged_404(
    as_user, world, clinic_release, caplog
):
    stranger = ClinicianFactory(clinic=world.clinic, role=Clinician.Role.THERAPIST)
    with caplog.at_level("WARNING", logger="carecollab.gate"):
        assert status_for(as_user, stranger.user, clinic_release) == 404
    assert "document not visible" in caplog.text
    missing = reverse("releases:document", args=[clinic_release.pk + 1000])
    assert as_user(stranger.user).get(missing).status_code == 404


def test_a_named_release_is_not_served_to_a_colleague_on_the_care_team(as_user, world):
    release = make_release(
        admin=world.clinic_admin.user,
        patient=world.patient,
        discloser=world.author,
        recipient=world.recipient,
    )
    assert status_for(as_user, world.recipient.user, release) == 200
    assert status_for(as_user, world.author.user, release) == 200
    assert status_for(as_user, world.colleague.user, release) == 404
    assert status_for(as_user, world.other_clinic_admin.user, release) == 404
