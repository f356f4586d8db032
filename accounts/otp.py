"""The second factor, through django-otp: an authenticator app (TOTP) and recovery codes
(static tokens, each good once).

Every user enrols their own app at first sign-in; until the session is verified with a
code, SecondFactorMiddleware lets it reach only the sign-in, enrolment, verification,
sign-out, password-reset and invitation pages. With DEMO_MODE on, seed_demo's users
(a DemoAccount row) sign in with their password alone.
"""

from __future__ import annotations

import base64

import django_otp
import segno
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import DemoAccount

APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
RECOVERY_CODE_COUNT = 10


def has_second_factor(user) -> bool:
    """The user has enrolled an authenticator app."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def passes_without_code(user) -> bool:
    """A demo account while DEMO_MODE is on: the password alone is enough."""
    return settings.DEMO_MODE and DemoAccount.objects.filter(user_id=user.pk).exists()


def pending_device(user) -> TOTPDevice:
    """The app being enrolled: the same key until it is confirmed (so the page can be
    reloaded and the code scanned again)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)


def secret_text(device: TOTPDevice) -> str:
    """The key in base32, in groups of four, for typing it into an app by hand."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// link of the device as an inline SVG QR code (no script, no style)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=5, border=2, title="")


@transaction.atomic
def enrol_confirm(*, request, device: TOTPDevice, code: str) -> list[str]:
    """Confirm the app with a code it shows, verify the session with it and make fresh
    recovery codes; returns the codes (shown once, never stored in clear)."""
    if not device.verify_token(code):
        raise ValidationError({"code": "That code is not right. Type the code your app shows now."})
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    # Another app half-enrolled in another tab is dropped.
    TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
    django_otp.login(request, device)
    return recovery_codes_renew(user=device.user)


@transaction.atomic
def recovery_codes_renew(*, user) -> list[str]:
    """Replace the user's recovery codes with RECOVERY_CODE_COUNT new ones."""
    static, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    static.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    for code in codes:
        static.token_set.create(token=code)
    return codes


def verify(*, request, code: str):
    """Verify the session with a code of the app or a recovery code (spent on use).
    Returns the device that accepted it; refuses with a message otherwise."""
    user = request.user
    devices = [
        *TOTPDevice.objects.filter(user=user, confirmed=True),
        *StaticDevice.objects.filter(user=user, confirmed=True),
    ]
    for device in devices:
        accepted = django_otp.verify_token(user, device.persistent_id, code)
        if accepted is not None:
            django_otp.login(request, accepted)
            return accepted
    if any(not device.verify_is_allowed()[0] for device in devices):
        # django-otp doubles the wait after each wrong code (throttling).
        raise ValidationError(
            {"code": "That code is not right, and too many were: wait a little, then try again."}
        )
    raise ValidationError(
        {"code": "That code is not right. Type the code your app shows now, or a recovery code."}
    )


def trusted_tool_device(user) -> TOTPDevice:
    """The user's confirmed authenticator app, made if missing.

    For the test suite and the bench only, which sign users in without a phone; no page
    calls it (a person enrols through enrol_confirm, with a code)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Tool", confirmed=True)


def trusted_tool_verify(session, user) -> None:
    """Mark a session of ``user`` as past the second factor (test suite and bench only)."""
    session[django_otp.DEVICE_ID_SESSION_KEY] = trusted_tool_device(user).persistent_id
