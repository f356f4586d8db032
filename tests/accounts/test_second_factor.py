"""The second factor: enrolled by the user at first sign-in, required before any page
but sign-in, enrolment, verification, sign-out, password reset and invitations.

Alice is a therapist with a password and no authenticator app yet; Demi is a user of
the demo (seed_demo marks her), who signs in with her password alone while DEMO_MODE
is on.
"""

import datetime as dt
import re
import subprocess
import sys

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from cases.models import Clinician
from tests.carecollab.test_settings import CLEAN, ROOT
from tests.factories import PASSWORD, ClinicianFactory
from tests.signin import enrolled_device, sign_in_unverified

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return ClinicianFactory(user__username="alice", role=Clinician.Role.THERAPIST).user


def sign_in(client, username="alice", password=PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def code_of(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def test_a_first_sign_in_goes_to_enrolment_and_no_further(client, alice):
    response = sign_in(client)
    assert response.status_code == 302
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:second_factor_enrol")


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/cases/patients/",
        "/releases/",
        "/notifications/",
        "/admin/",
        "/accounts/password/",
        "/accounts/invitations/",
    ],
)
def test_no_page_but_enrolment_opens_before_the_second_factor(client, alice, url):
    sign_in_unverified(client, alice)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:second_factor_enrol")


def test_a_post_before_the_second_factor_changes_nothing(client, alice):
    sign_in_unverified(client, alice)
    response = client.post(reverse("notifications:read_all"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:second_factor_enrol")


def test_alice_enrols_her_app_and_gets_recovery_codes(client, alice):
    sign_in(client)
    page = client.get(reverse("accounts:second_factor_enrol"))
    assert page.status_code == 200
    assert b"<svg" in page.content
    device = TOTPDevice.objects.get(user=alice, confirmed=False)
    wrong = client.post(reverse("accounts:second_factor_enrol"), {"code": "000000"})
    if code_of(device) != "000000":
        assert wrong.status_code == 200
        assert b"not right" in wrong.content
    response = client.post(reverse("accounts:second_factor_enrol"), {"code": code_of(device)})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:recovery_codes")
    codes_page = client.get(reverse("accounts:recovery_codes")).content.decode()
    codes = re.findall(r"<li><code>(\w+)</code></li>", codes_page)
    assert len(codes) == 10
    assert set(codes) == set(
        StaticToken.objects.filter(device__user=alice).values_list("token", flat=True)
    )
    assert client.get(reverse("home")).status_code == 200
    # Shown once only.
    assert client.get(reverse("accounts:recovery_codes")).status_code == 302


def test_an_enrolled_user_types_a_code_at_each_sign_in(client, alice):
    device = enrolled_device(alice)
    sign_in(client)
    response = client.get(reverse("cases:patient_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:second_factor_verify"))
    assert "next=%2Fcases%2Fpatients%2F" in response["Location"]
    wrong = client.post(reverse("accounts:second_factor_verify"), {"code": "abc"})
    assert wrong.status_code == 200 and b"not right" in wrong.content
    # django-otp makes her wait a moment after a wrong code.
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=5)):
        device.refresh_from_db()
        response = client.post(
            reverse("accounts:second_factor_verify"),
            {"code": code_of(device), "next": "/cases/patients/"},
        )
        assert response.status_code == 302
        assert response["Location"] == "/cases/patients/"
        assert client.get(reverse("home")).status_code == 200


def test_wrong_codes_in_a_row_make_her_wait(client, alice):
    device = enrolled_device(alice)
    sign_in(client)
    with time_machine.travel(timezone.now(), tick=False):
        client.post(reverse("accounts:second_factor_verify"), {"code": "000001"})
        response = client.post(reverse("accounts:second_factor_verify"), {"code": code_of(device)})
    assert response.status_code == 200
    assert b"wait a little" in response.content


def test_a_recovery_code_signs_in_once(client, alice):
    enrolled_device(alice)
    (code, *_) = services_codes(alice)
    sign_in(client)
    response = client.post(reverse("accounts:second_factor_verify"), {"code": code})
    assert response.status_code == 302
    client.post(reverse("logout"))
    sign_in(client)
    again = client.post(reverse("accounts:second_factor_verify"), {"code": code})
    assert again.status_code == 200
    assert client.get(reverse("home")).status_code == 302


def services_codes(user):
    from accounts.otp import recovery_codes_renew

    return recovery_codes_renew(user=user)


def test_an_enrolled_user_cannot_enrol_another_app_before_verifying(client, alice):
    enrolled_device(alice)
    sign_in(client)
    response = client.get(reverse("accounts:second_factor_enrol"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:second_factor_verify")


def test_sign_out_and_password_reset_open_before_the_second_factor(client, alice):
    sign_in_unverified(client, alice)
    assert client.get(reverse("password_reset")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302


# --- demo mode ------------------------------------------------------------------------


@pytest.fixture
def demi():
    user = ClinicianFactory(user__username="demi", role=Clinician.Role.PRESCRIBER).user
    services.demo_accounts_mark(users=[user])
    return user


def test_in_demo_mode_a_demo_user_signs_in_with_the_password_alone(client, demi, settings):
    settings.DEMO_MODE = True
    sign_in(client, "demi")
    assert client.get(reverse("home")).status_code == 200


def test_in_demo_mode_every_other_user_still_needs_the_second_factor(client, alice, settings):
    settings.DEMO_MODE = True
    sign_in(client)
    assert client.get(reverse("home"))["Location"] == reverse("accounts:second_factor_enrol")


def test_without_demo_mode_a_demo_user_needs_the_second_factor(client, demi, settings):
    settings.DEMO_MODE = False
    sign_in(client, "demi")
    assert client.get(reverse("home")).status_code == 302


def test_seed_demo_marks_its_users(db):
    from django.core.management import call_command

    from accounts.models import DemoAccount

    call_command("seed_demo", verbosity=0)
    names = set(DemoAccount.objects.values_list("user__username", flat=True))
    assert names == {"prescriber", "therapist", "outsider", "clinicadmin"}


def test_check_deploy_fails_while_demo_mode_is_on():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env={
            **CLEAN,
            "DEBUG": "false",
            "DEMO_MODE": "true",
            "SECRET_KEY": "a-long-random-production-secret-" + "q8Zr5vN2xT" * 5,
            "ALLOWED_HOSTS": "carecollab.example.org",
            "DATABASE_URL": "postgres://carecollab@127.0.0.1:5432/carecollab",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "accounts.E001" in result.stdout + result.stderr
