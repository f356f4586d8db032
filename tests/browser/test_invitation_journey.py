"""The clinic admin invites a therapist; the therapist follows the e-mailed link, sets a
password, enrols an authenticator app (the test computes its codes, as the phone would)
and signs in again with the password and a code."""

import base64
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.signin import current_code

from .conftest import shot, sign_in, sign_out

pytestmark = pytest.mark.browser

ROBINS_PASSWORD = "robins-own-long-passphrase"


def test_an_invited_therapist_sets_a_password_enrols_totp_and_signs_in_with_it(page, demo):
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, demo, "clinicadmin")
    page.get_by_role("link", name="Invitations").click()
    page.get_by_label("First name").fill("Robin")
    page.get_by_label("Last name").fill("Example")
    page.get_by_label("E-mail").fill("robin@example.org")
    page.get_by_label("Role").select_option("therapist")
    page.get_by_label("Credential").fill("LCSW")
    page.get_by_role("button", name="Send the invitation").click()
    page.get_by_text("Invitation sent to robin@example.org").wait_for()
    shot(page, "invitations-admin")
    sign_out(page)

    (message,) = mail.outbox
    path = re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)
    page.goto(demo.url + path)
    page.get_by_label("Username").fill("robin")
    page.get_by_label(re.compile(r"^Password:?$")).fill(ROBINS_PASSWORD)
    page.get_by_label("Password again").fill(ROBINS_PASSWORD)
    page.get_by_role("button", name="Create my account").click()

    page.get_by_role("heading", name="Set up your sign-in code").wait_for()
    shot(page, "second-factor-enrol")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "second-factor-enrol-phone")
    page.set_viewport_size({"width": 1366, "height": 900})
    secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.get_by_label("Code").fill(f"{totp(key):06d}")
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Your recovery codes").wait_for()
    assert len(page.get_by_test_id("recovery-codes").locator("li").all()) == 10
    page.get_by_role("link", name="I have kept them: continue").click()
    page.wait_for_url(f"{demo.url}/")
    sign_out(page)

    page.get_by_label("Username").fill("robin")
    page.get_by_label("Password").fill(ROBINS_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Sign-in code").wait_for()
    device = TOTPDevice.objects.get(user=get_user_model().objects.get(username="robin"))
    page.get_by_label("Code").fill(current_code(device))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{demo.url}/")
    assert "Robin Example" in page.locator("header .who").inner_text()
