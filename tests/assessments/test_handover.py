"""Handing the device to the patient for a PHQ-9: the session reaches only that form,
and comes back to the clinician only with their password."""

import pytest
from django.urls import reverse

from assessments import handover
from assessments.models import Assessment

from .test_views import answers, form_url

pytestmark = pytest.mark.django_db

PASSWORD = "synthetic-clinician-passphrase"


@pytest.fixture
def handed_over(shared_world, client):
    """The therapist signed in, the PHQ-9 handed to the patient."""
    therapist = shared_world.author.user
    therapist.set_password(PASSWORD)
    therapist.save()
    client.force_login(therapist)
    start = reverse("assessments:handover_start", args=[shared_world.patient.pk, "PHQ-9"])
    response = client.post(start)
    assert response.status_code == 302 and response["Location"] == form_url(shared_world)
    return client


def test_the_handed_over_form_shows_no_navigation_and_no_clinical_choice(shared_world, handed_over):
    body = handed_over.get(form_url(shared_world)).content.decode()
    assert "Over the last 2 weeks" in body
    assert 'aria-label="Main"' not in body  # no navigation
    assert "Review queue" not in body and "My patients" not in body
    assert "Share with the care team" not in body  # the clinician's choice, kept hidden
    assert "data-live-score" not in body
    assert "Give the device back" in body


@pytest.mark.parametrize(
    "url_name, args",
    [
        ("cases:patient_detail", "patient"),
        ("medications:review", None),
        ("home", None),
        ("assessments:create", "other scale"),
    ],
)
def test_every_other_page_goes_to_the_take_back_page(shared_world, handed_over, url_name, args):
    if args == "patient":
        url = reverse(url_name, args=[shared_world.patient.pk])
    elif args == "other scale":
        url = reverse(url_name, args=[shared_world.patient.pk, "GAD-7"])
    else:
        url = reverse(url_name)
    response = handed_over.get(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("assessments:handover_end")


def test_the_patient_s_answers_are_saved_and_the_score_is_not_shown_to_them(
    shared_world, handed_over
):
    response = handed_over.post(
        form_url(shared_world), answers([3, 3, 2, 2, 1, 1, 0, 0, 0]), follow=True
    )
    assert Assessment.objects.get().total == 12
    body = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("assessments:handover_end")
    assert "hand the device back" in body
    assert "12" not in body.split("<main", 1)[1]  # no score on the patient's screen


def test_a_wrong_password_keeps_the_device_with_the_patient(shared_world, handed_over):
    end = reverse("assessments:handover_end")
    response = handed_over.post(end, {"password": "not-it"})
    assert response.status_code == 200
    assert "not the password" in response.content.decode()
    assert handed_over.session[handover.SESSION_KEY]
    patient_page = reverse("cases:patient_detail", args=[shared_world.patient.pk])
    assert handed_over.get(patient_page)["Location"] == end


def test_the_clinician_s_password_takes_the_device_back(shared_world, handed_over):
    end = reverse("assessments:handover_end")
    response = handed_over.post(end, {"password": PASSWORD})
    patient_page = reverse("cases:patient_detail", args=[shared_world.patient.pk])
    assert response.status_code == 302 and response["Location"] == patient_page
    assert handover.SESSION_KEY not in handed_over.session
    assert handed_over.get(patient_page).status_code == 200


def test_no_hand_over_without_the_care_team(shared_world, client):
    client.force_login(shared_world.other_clinic.user)
    start = reverse("assessments:handover_start", args=[shared_world.patient.pk, "PHQ-9"])
    assert client.post(start).status_code == 404
    assert handover.SESSION_KEY not in client.session


def test_the_take_back_page_outside_a_hand_over_goes_home(shared_world, client):
    client.force_login(shared_world.author.user)
    response = client.get(reverse("assessments:handover_end"))
    assert response.status_code == 302 and response["Location"] == reverse("home")
