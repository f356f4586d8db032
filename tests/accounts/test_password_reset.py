"""A forgotten password is reset by e-mail, and the page never tells whether an address
has an account. Alice is a therapist whose address is alice@example.org."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from cases.models import Clinician
from tests.factories import ClinicianFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "alices-new-long-passphrase"


@pytest.fixture
def alice():
    return ClinicianFactory(
        user__username="alice", user__email="alice@example.org", role=Clinician.Role.THERAPIST
    ).user


def ask(client, email):
    return client.post(reverse("password_reset"), {"email": email})


def test_known_and_unknown_addresses_get_the_same_answer(client, alice):
    known = ask(client, "alice@example.org")
    unknown = ask(client, "nobody@example.org")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.org"]


def test_alice_resets_her_password_with_the_link_and_still_needs_her_code(client, alice):
    ask(client, "alice@example.org")
    link = re.search(r"http://\S+", mail.outbox[0].body).group(0)
    path = link.split("testserver", 1)[-1]
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    # The link is spent.
    assert b"cannot be used" in client.get(path, follow=True).content
    # A new password is not a way around the second factor.
    client.post(reverse("login"), {"username": "alice", "password": NEW_PASSWORD})
    assert client.get(reverse("home"))["Location"] == reverse("accounts:second_factor_enrol")


def test_the_e_mail_holds_no_patient_information(client, alice):
    ask(client, "alice@example.org")
    body = mail.outbox[0].body
    assert "patient" not in body.lower()
