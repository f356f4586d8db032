"""Lock-out by username, never by address alone; the client's address behind the proxy.

Alice and Bob are therapists of one clinic, signing in from behind the clinic's one
proxy address.
"""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from accounts.lockout import client_ip
from cases.models import Clinician
from tests.factories import PASSWORD, ClinicianFactory

pytestmark = pytest.mark.django_db

CLINIC_ADDRESS = "203.0.113.7"


@pytest.fixture
def alice():
    return ClinicianFactory(user__username="alice", role=Clinician.Role.THERAPIST).user


@pytest.fixture
def bob():
    return ClinicianFactory(user__username="bob", role=Clinician.Role.THERAPIST).user


def sign_in(client, username, password=PASSWORD, address=CLINIC_ADDRESS):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def fail_until_locked(client, settings, username="alice"):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, username, password="wrong-guess")


def test_after_five_failures_for_alice_bob_signs_in_from_the_same_address(
    client, alice, bob, settings
):
    fail_until_locked(client, settings)
    assert sign_in(client, "alice").status_code == 429
    response = sign_in(client, "bob")
    assert response.status_code == 302
    assert not response["Location"].startswith(reverse("login"))


def test_alice_is_locked_from_every_address(client, alice, settings):
    fail_until_locked(client, settings)
    assert sign_in(client, "alice", address="198.51.100.20").status_code == 429


def test_many_failures_from_one_address_for_different_names_lock_no_one_else(
    client, alice, bob, settings
):
    for number in range(settings.AXES_FAILURE_LIMIT * 2):
        sign_in(client, f"nobody{number}", password="wrong-guess")
    assert sign_in(client, "alice").status_code == 302
    client.post(reverse("logout"))
    assert sign_in(client, "bob").status_code == 302


def test_the_lock_out_page_says_when_to_try_again(client, alice, settings):
    fail_until_locked(client, settings)
    response = sign_in(client, "alice")
    content = response.content.decode()
    assert "Try again after" in content
    assert "in about 60 minutes" in content
    assert "<time datetime=" in content


def request_from(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_a_trusted_proxy_the_address_is_the_peers_and_headers_are_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request_from("198.51.100.1", "1.2.3.4")) == "198.51.100.1"


def test_behind_one_trusted_proxy_the_address_is_the_one_the_proxy_saw(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The client wrote 1.2.3.4 itself; the proxy appended what it saw.
    assert client_ip(request_from("10.0.0.2", "1.2.3.4, 203.0.113.7")) == "203.0.113.7"
    assert client_ip(request_from("10.0.0.2", "203.0.113.7")) == "203.0.113.7"


def test_behind_two_trusted_proxies_the_outer_proxys_view_counts(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request_from("10.0.0.3", "1.2.3.4, 203.0.113.7, 10.0.0.2")) == ("203.0.113.7")


def test_a_request_that_skipped_the_proxy_falls_back_to_the_peer(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request_from("198.51.100.9")) == "198.51.100.9"
