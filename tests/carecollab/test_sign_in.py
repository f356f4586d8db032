"""Sign-in, sign-out, password change, session limits and lock-out.

Alice is a therapist of the clinic; every page but the login page needs her signed in.
"""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import Clinician
from tests.factories import PASSWORD, ClinicianFactory
from tests.signin import sign_in_with_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return ClinicianFactory(user__username="alice", role=Clinician.Role.THERAPIST).user


def sign_in(client, username="alice", password=PASSWORD):
    """The password, then the code of her app (tests/signin.py)."""
    return sign_in_with_code(client, username, password)


def test_the_login_page_is_open_to_everyone(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b"Sign in" in response.content


@pytest.mark.parametrize("url", ["/", "/cases/patients/", "/releases/", "/cases/observations/"])
def test_every_other_page_sends_the_anonymous_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_alice_signs_in_and_lands_on_her_home_page(client, alice):
    response = sign_in(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_a_wrong_password_is_refused_with_a_clear_message(client, alice):
    response = sign_in(client, password="not-her-password")
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert client.get(reverse("home")).status_code == 302


def test_sign_out_ends_the_session(client, alice):
    sign_in(client)
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_password_change_applies_the_password_validators(client, alice):
    sign_in(client)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "This password is too short" in content
    assert "This password is entirely numeric" in content
    new = "a-much-longer-passphrase-for-alice"
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(new)


def test_the_session_ends_after_15_idle_minutes(client, alice, settings):
    assert settings.SESSION_COOKIE_AGE == 15 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        sign_in(client)
        traveller.shift(dt.timedelta(minutes=14))
        assert client.get(reverse("home")).status_code == 200  # activity renews the session
        traveller.shift(dt.timedelta(minutes=14))
        assert client.get(reverse("home")).status_code == 200
        traveller.shift(dt.timedelta(minutes=16))
        response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_session_ends_12_hours_after_sign_in_however_active(client, alice, settings):
    settings.SESSION_COOKIE_AGE = 24 * 3600  # take the idle limit out of the way
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        sign_in(client)
        traveller.shift(dt.timedelta(hours=11, minutes=59))
        assert client.get(reverse("home")).status_code == 200
        traveller.shift(dt.timedelta(minutes=2))
        response = client.get(reverse("home"))
    assert response.status_code == 302
    assert "expired=1" in response["Location"]
    assert client.get(reverse("home")).status_code == 302


def test_deactivating_a_user_ends_their_sessions(client, alice):
    sign_in(client)
    assert client.get(reverse("home")).status_code == 200
    services.user_deactivate(user=alice)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert sign_in(client).status_code == 200  # and she cannot sign in again


def test_repeated_failed_sign_ins_lock_the_account_out(client, alice, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, password="wrong-guess")
    response = sign_in(client)  # even the right password is refused now
    assert response.status_code == 429
    assert b"Too many failed sign-ins" in response.content
    assert client.get(reverse("home")).status_code == 302


def test_a_success_before_the_limit_resets_the_failure_count(client, alice, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, password="wrong-guess")
    assert sign_in(client).status_code == 302
    client.post(reverse("logout"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, password="wrong-guess")
    assert sign_in(client).status_code == 302
