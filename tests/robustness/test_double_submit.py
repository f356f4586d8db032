"""A form sent twice (a double click, a resent POST) is saved once."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases.models import Observation
from releases.models import InformationRelease

pytestmark = pytest.mark.django_db


def observation(**overrides):
    return {
        "observed_on": timezone.localdate().isoformat(),
        "adherence": "missed_doses",
        "body": "Synthetic: missed two evening doses",
        "shared": "on",
        # No release in this world: nobody reads it, so sharing is confirmed.
        "confirm_unread": "on",
        **overrides,
    }


def test_an_observation_sent_twice_is_saved_once(client, world):
    client.force_login(world.author.user)
    url = reverse("cases:observation_create", args=[world.patient.pk])
    first = client.post(url, observation())
    second = client.post(url, observation(), follow=True)
    assert first.status_code == 302
    assert second.redirect_chain[0][0] == first["Location"]
    assert b"already sent; it was saved once" in second.content
    assert Observation.objects.count() == 1


def test_the_same_observation_later_is_a_new_one(client, world):
    client.force_login(world.author.user)
    url = reverse("cases:observation_create", args=[world.patient.pk])
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client.post(url, observation())
        traveller.shift(dt.timedelta(minutes=2))
        client.post(url, observation())
    assert Observation.objects.count() == 2


def test_a_different_submission_right_after_is_saved(client, world):
    client.force_login(world.author.user)
    url = reverse("cases:observation_create", args=[world.patient.pk])
    client.post(url, observation())
    client.post(url, observation(body="Synthetic: a second, different observation"))
    assert Observation.objects.count() == 2


def test_a_release_created_twice_is_created_once(client, world):
    client.force_login(world.clinic_admin.user)
    today = timezone.localdate()
    data = {
        "patient": world.patient.pk,
        "discloser_kind": "clinician",
        "discloser_clinician": world.author.pk,
        "recipient": world.recipient.pk,
        "scope": ["observations"],
        "purpose": "Coordination of care",
        "effective_on": today.isoformat(),
        "expires_on": (today + dt.timedelta(days=30)).isoformat(),
    }
    client.post(reverse("releases:create"), data)
    client.post(reverse("releases:create"), data)
    assert InformationRelease.objects.count() == 1


def test_a_refused_submission_can_be_corrected_and_sent_again(client, world):
    client.force_login(world.author.user)
    url = reverse("cases:observation_create", args=[world.patient.pk])
    bad = observation(observed_on="not a date")
    assert client.post(url, bad).status_code == 200
    assert client.post(url, bad).status_code == 200  # refusals are not remembered
    assert client.post(url, observation()).status_code == 302
    assert Observation.objects.count() == 1
