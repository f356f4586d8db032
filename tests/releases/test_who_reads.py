"""Sharing that says who will read it: the gate's readers of a record written now, the
observation form that shows them (or that no one will), and the release state of each
patient on the patient lists.

Personas (tests/conftest.py): the therapist ``author``, the prescriber ``recipient``
(covered by the release when there is one), ``colleague`` (on the care team, no release).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from alerts.models import SafetyAlert
from cases.categories import Category
from cases.models import Observation
from releases.selectors import readers_named, release_states
from tests.factories import CaseFactory, PatientFactory, on_team
from tests.releasekit import share

pytestmark = pytest.mark.django_db

STATES = {
    "active": ("active", "release active"),
    "draft": ("awaiting", "release awaiting signature"),
    "signed": ("awaiting", "release awaiting signature"),
    "revoked": ("revoked", "release revoked"),
    "expired": ("expired", "release expired"),
    "lapsed": ("expired", "release expired"),
}


def readers(world, *, category=Category.OBSERVATIONS, author=None):
    return readers_named((author or world.author).user, world.patient, category)


def test_the_covered_prescriber_reads_what_the_therapist_writes_now(shared_world):
    assert readers(shared_world) == [shared_world.recipient.user]
    # Mutual: the therapist reads what the prescriber writes.
    assert readers(shared_world, author=shared_world.recipient) == [shared_world.author.user]
    # The colleague on the care team has no release: nobody reads what they write.
    assert readers(shared_world, author=shared_world.colleague) == []


@pytest.mark.parametrize("state", ["draft", "signed", "revoked", "expired", "lapsed"])
def test_without_an_active_release_nobody_reads_it(world, state):
    share(world, state=state)
    assert readers(world) == []


def test_a_release_of_other_categories_lets_nobody_read_an_observation(world):
    share(world, scope=[Category.MEDICATIONS])
    assert readers(world) == []
    assert readers(world, category=Category.MEDICATIONS) == [world.recipient.user]


@pytest.mark.parametrize("state", sorted(STATES))
def test_the_release_state_of_a_patient(world, state):
    share(world, state=state)
    found = release_states([world.patient.pk])[world.patient.pk]
    assert (found.key, found.label) == STATES[state]


def test_a_release_expiring_within_30_days_says_in_how_many(world):
    share(world, expires_on=timezone.localdate() + dt.timedelta(days=20))
    found = release_states([world.patient.pk])[world.patient.pk]
    assert found.key == "expiring"
    assert found.days_left in (20, 21)  # it ends at the close of its last day
    assert f"expires in {found.days_left} days" in found.label


def test_no_release_at_all(world):
    assert release_states([world.patient.pk])[world.patient.pk].key == "none"


def test_release_states_take_one_query_however_many_patients(world, django_assert_num_queries):
    patients = [world.patient]
    for _ in range(5):
        patient = PatientFactory(clinic=world.clinic)
        share(world, patient=patient)
        patients.append(patient)
    with django_assert_num_queries(1):
        states = release_states([patient.pk for patient in patients])
    assert len(states) == 6


def test_the_patient_lists_show_the_release_state(world, as_user):
    share(world, state="revoked")
    other = PatientFactory(clinic=world.clinic)
    on_team(CaseFactory(patient=other), world.author, world.recipient)
    share(world, patient=other)
    client = as_user(world.author.user)
    for url in (reverse("cases:patient_list"), reverse("medications:caseload")):
        body = client.get(url).content.decode()
        assert 'data-release-state="revoked"' in body, url
        assert 'data-release-state="active"' in body, url


# --- the observation form -------------------------------------------------------------


def form_url(world):
    return reverse("cases:observation_create", args=[world.patient.pk])


def post(client, world, **data):
    data = {"observed_on": timezone.localdate().isoformat(), "adherence": "missed_doses", **data}
    return client.post(form_url(world), data)


def test_the_form_names_who_will_read_the_observation(shared_world, as_user):
    body = as_user(shared_world.author.user).get(form_url(shared_world)).content.decode()
    box = body[body.index('data-testid="readers"') :]
    assert str(shared_world.recipient) in box[:600]
    assert str(shared_world.colleague) not in box[:600]
    response = post(as_user(shared_world.author.user), shared_world, shared="on")
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == [f"Observation saved: shared with {shared_world.recipient}."]


def test_with_no_reader_the_form_says_so_and_share_is_unticked(world, as_user):
    share(world, state="revoked")
    body = as_user(world.author.user).get(form_url(world)).content.decode()
    assert "No one else can read this observation now" in body
    assert 'name="shared" id="id_shared" checked' not in body
    assert 'name="shared"' in body


def test_with_no_reader_a_question_is_refused_and_says_what_to_do(world, as_user):
    share(world, state="expired")
    response = post(
        as_user(world.author.user),
        world,
        shared="on",
        question="Lower the dose?",
        confirm_unread="on",
    )
    assert response.status_code == 200
    assert "Ask the clinic admin for a release" in response.content.decode()
    assert not Observation.objects.exists()


def test_with_no_reader_an_attention_alert_is_refused(world, as_user):
    response = post(
        as_user(world.author.user),
        world,
        shared="on",
        needs_attention_today="on",
        attention_reason="Cannot wait",
        confirm_unread="on",
    )
    assert "Ask the clinic admin for a release" in response.content.decode()
    assert not SafetyAlert.objects.exists()


def test_with_no_reader_saving_shared_needs_a_confirmation(world, as_user):
    client = as_user(world.author.user)
    response = post(client, world, shared="on")
    assert response.status_code == 200
    assert "No one can read this now" in response.content.decode()
    assert not Observation.objects.exists()
    response = post(client, world, shared="on", confirm_unread="on")
    assert response.status_code == 302
    assert Observation.objects.get().shared
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["Observation saved: not shared: no active release."]


def test_with_no_reader_a_private_observation_saves_without_a_confirmation(world, as_user):
    response = post(as_user(world.author.user), world)
    assert response.status_code == 302
    assert not Observation.objects.get().shared
