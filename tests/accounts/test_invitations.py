"""Invitations: the only way an account is made, and no admin ever sets a password.

Ada is the clinic admin; she invites Theo, a therapist. Mallory is someone who got hold
of an old or a used link.
"""

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation
from accounts.services import token_hash
from cases.models import Clinician
from tests.factories import ClinicianFactory

pytestmark = pytest.mark.django_db

Role = Clinician.Role
THEO_PASSWORD = "a-long-passphrase-of-theos-own"


@pytest.fixture
def ada():
    return ClinicianFactory(user__username="ada", role=Role.CLINIC_ADMIN, credential="").user


def invite(client, email="theo@example.org", role=Role.THERAPIST):
    return client.post(
        reverse("accounts:invitation_list"),
        {
            "first_name": "Theo",
            "last_name": "Doe",
            "email": email,
            "role": role,
            "credential": "LCSW",
        },
    )


def link_from_mail() -> str:
    (message,) = mail.outbox
    return re.search(r"https?://\S+", message.body).group(0).split("8000", 1)[-1]


def accept(client, link, username="theo", password=THEO_PASSWORD):
    opened = client.get(link)
    assert opened.status_code == 302, opened.status_code
    return client.post(
        reverse("accounts:invitation_accept"),
        {"username": username, "password1": password, "password2": password},
    )


@pytest.fixture
def invited(client, ada, django_capture_on_commit_callbacks, as_user):
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(as_user(ada))
    assert response.status_code == 302
    return link_from_mail()


def test_ada_invites_theo_and_he_gets_a_one_time_link_by_e_mail(invited, ada):
    (message,) = mail.outbox
    assert message.to == ["theo@example.org"]
    assert "72 hours" in message.body
    invitation = Invitation.objects.get()
    token = invited.rstrip("/").rsplit("/", 1)[-1]
    assert invitation.token_hash == token_hash(token)
    assert token not in str(Invitation.objects.values_list())  # only the hash is kept
    assert invitation.expires_at - invitation.created_at == dt.timedelta(hours=72)


def test_theo_follows_the_link_sets_his_password_and_goes_on_to_the_second_factor(client, invited):
    response = accept(client, invited)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:second_factor_enrol")
    theo = Clinician.objects.get(user__username="theo")
    assert theo.role == Role.THERAPIST and theo.credential == "LCSW"
    assert theo.user.check_password(THEO_PASSWORD)
    assert theo.user.email == "theo@example.org"


def test_the_link_works_once(client, invited):
    accept(client, invited)
    client.post(reverse("logout"))
    response = client.get(invited)
    assert response.status_code == 404
    assert b"cannot be used" in response.content


def test_the_link_expires_after_72_hours(client, invited):
    with time_machine.travel(timezone.now() + dt.timedelta(hours=72, minutes=1)):
        response = client.get(invited)
    assert response.status_code == 404
    assert not Clinician.objects.filter(user__username="theo").exists()


def test_an_invitation_that_expires_between_opening_and_sending_makes_no_account(client, invited):
    client.get(invited)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=73)):
        response = client.post(
            reverse("accounts:invitation_accept"),
            {"username": "theo", "password1": THEO_PASSWORD, "password2": THEO_PASSWORD},
        )
    assert response.status_code == 404
    assert not Clinician.objects.filter(user__username="theo").exists()


def test_a_made_up_token_is_refused(client, ada):
    response = client.get(reverse("accounts:invitation_open", args=["made-up-token"]))
    assert response.status_code == 404


def test_the_password_must_pass_the_validators(client, invited):
    response = accept(client, invited, password="theo1234")
    assert response.status_code == 200
    assert b"too short" in response.content
    assert not Clinician.objects.filter(user__username="theo").exists()


def test_a_taken_username_is_refused_with_a_message(client, invited, ada):
    response = accept(client, invited, username="ada")
    assert response.status_code == 200
    assert b"taken" in response.content


def test_only_a_clinic_admin_invites(as_user):
    therapist = ClinicianFactory(role=Role.THERAPIST).user
    assert invite(as_user(therapist)).status_code == 404
    assert not Invitation.objects.exists()


def test_an_address_that_has_an_account_is_refused(as_user, ada):
    response = invite(as_user(ada), email=ada.email)
    assert response.status_code == 200
    assert b"has an account" in response.content


def test_an_invited_clinic_admin_gets_the_admin_site(
    client, ada, as_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(as_user(ada), email="eve@example.org", role=Role.CLINIC_ADMIN)
    accept(client, link_from_mail(), username="eve")
    eve = Clinician.objects.get(user__username="eve").user
    assert eve.is_staff and eve.groups.filter(name="Clinic admins").exists()


def test_the_invitation_page_lists_the_clinics_invitations_only(as_user, ada, invited):
    other_admin = ClinicianFactory(role=Role.CLINIC_ADMIN).user
    assert b"theo@example.org" in as_user(ada).get(reverse("accounts:invitation_list")).content
    page = as_user(other_admin).get(reverse("accounts:invitation_list"))
    assert b"theo@example.org" not in page.content


# --- the Django admin sets no password ------------------------------------------------


@pytest.fixture
def staff_ada(ada):
    from cases.demo import clinic_admin_group

    ada.is_staff = True
    ada.save()
    ada.groups.add(clinic_admin_group())
    return ada


def test_the_admins_password_page_is_refused(as_user, staff_ada):
    theo = ClinicianFactory(role=Role.THERAPIST, clinic=staff_ada.clinician.clinic).user
    client = as_user(staff_ada)
    response = client.get(reverse("admin:auth_user_password_change", args=[theo.pk]))
    assert response.status_code == 403
    response = client.post(
        reverse("admin:auth_user_password_change", args=[theo.pk]),
        {"password1": "puppet-password-123", "password2": "puppet-password-123"},
    )
    assert response.status_code == 403
    theo.refresh_from_db()
    assert not theo.check_password("puppet-password-123")


def test_not_even_a_superuser_sets_a_password_or_adds_a_user_in_the_admin(as_user):
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("root", "root@example.org", "x" * 20)
    theo = ClinicianFactory(role=Role.THERAPIST).user
    client = as_user(root)
    assert client.get(reverse("admin:auth_user_password_change", args=[theo.pk])).status_code == 403
    assert client.get(reverse("admin:auth_user_add")).status_code == 403
    page = client.get(reverse("admin:auth_user_change", args=[theo.pk]))
    assert page.status_code == 200
    assert b"../password/" not in page.content
    assert b'name="password"' not in page.content


def test_the_admin_cannot_add_a_user(as_user, staff_ada):
    assert as_user(staff_ada).get(reverse("admin:auth_user_add")).status_code == 403


def test_a_clinic_admin_cannot_change_a_users_e_mail_address(as_user, staff_ada):
    theo = ClinicianFactory(role=Role.THERAPIST, clinic=staff_ada.clinician.clinic).user
    page = as_user(staff_ada).get(reverse("admin:auth_user_change", args=[theo.pk]))
    assert page.status_code == 200
    assert b'name="email"' not in page.content
