"""Signing in, for tests that are not about signing in.

Every page but sign-in and its second factor needs a session that passed the second
factor (accounts.middleware). ``sign_in_verified(client, user)`` gives such a session
without typing codes: it signs the user in (``force_login``), gives them an enrolled
authenticator app and marks the session verified with it, which is what
``accounts.otp.verify`` does after a right code.

Tests about signing in use the real flow (tests/accounts: the password form, then a code
computed with django_otp.oath.totp), and ``sign_in_unverified`` for a session that
passed the password only. The test settings make ``Client.force_login`` sign in
verified too (tests/conftest.py), so any test that signs in with it reads as before.
"""

from __future__ import annotations

from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.otp import trusted_tool_device, trusted_tool_verify

_force_login_password_only = Client.force_login


def enrolled_device(user) -> TOTPDevice:
    """The user's confirmed authenticator app (made if they have none)."""
    return trusted_tool_device(user)


def sign_in_unverified(client: Client, user, backend=None) -> Client:
    """Signed in with the password only: the second factor is still to come."""
    _force_login_password_only(client, user, backend)
    return client


def sign_in_verified(client: Client, user, backend=None) -> Client:
    """Signed in and past the second factor."""
    sign_in_unverified(client, user, backend)
    session = client.session
    trusted_tool_verify(session, user)
    session.save()
    return client


def current_code(device: TOTPDevice) -> str:
    """The code the user's app shows now, as a person would type it; when that code was
    used already (a second sign-in within 30 seconds, which django-otp refuses), the next
    one, which the app shows a moment later and django-otp accepts."""
    from django_otp.oath import TOTP, totp

    device.refresh_from_db()
    now = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).t()
    ahead = 1 if device.last_t >= now else 0
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift + ahead)
    return f"{code:06d}"


def sign_in_with_code(client: Client, username: str, password: str):
    """The real sign-in: the password form, then the code of the user's app (enrolled
    for them if they have none). Returns the password form's answer when it refused."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    response = client.post(reverse("login"), {"username": username, "password": password})
    if response.status_code != 302:
        return response
    device = enrolled_device(get_user_model().objects.get(username=username))
    return client.post(reverse("accounts:second_factor_verify"), {"code": current_code(device)})
