"""Writes of accounts: invitations (the only way an account is made) and the demo's marks.

An invitation's link carries a random token; only its SHA-256 is stored. The link works
once, within INVITATION_HOURS (72 by default). Accepting it makes the user with the
password the person chose; their second factor is enrolled next (accounts.views).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from cases import services as case_services
from cases.demo import clinic_admin_group
from cases.models import Clinician

from .models import DemoAccount, Invitation

User = get_user_model()


def token_hash(token: str) -> str:
    """What is stored of a link's token."""
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_link(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("accounts:invitation_open", args=[token])


@transaction.atomic
def invitation_create(
    *,
    invited_by,
    first_name: str,
    last_name: str,
    email: str,
    role: str,
    credential: str = "",
) -> tuple[Invitation, str]:
    """Invite a person to the inviting clinic admin's clinic and e-mail them the link.

    Returns the invitation and its token (the token is not stored; the e-mail is the
    only place the link exists)."""
    inviter = getattr(invited_by, "clinician", None)
    if inviter is None or inviter.role != Clinician.Role.CLINIC_ADMIN:
        raise PermissionDenied("Only a clinic admin invites people.")
    if User.objects.filter(email__iexact=email, is_active=True).exists():
        raise ValidationError({"email": "Someone with this e-mail address has an account."})
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation = Invitation(
        clinic=inviter.clinic,
        first_name=first_name,
        last_name=last_name,
        email=email,
        role=role,
        credential=credential,
        invited_by=invited_by,
        token_hash=token_hash(token),
        created_at=now,
        expires_at=now + dt.timedelta(hours=settings.INVITATION_HOURS),
    )
    invitation.full_clean()
    invitation.save()
    context = {
        "link": invitation_link(token),
        "hours": settings.INVITATION_HOURS,
        "clinic": invitation.clinic.name,
    }
    body = render_to_string("accounts/invitation_email.txt", context)
    transaction.on_commit(
        lambda: send_mail("Your CareCollab invitation", body, settings.DEFAULT_FROM_EMAIL, [email])
    )
    return invitation, token


def invitation_for_token(token: str) -> Invitation | None:
    """The open invitation this token belongs to, or None (unknown, used or expired)."""
    invitation = Invitation.objects.filter(token_hash=token_hash(token)).first()
    if invitation is None or not invitation.is_open():
        return None
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, username: str, password: str):
    """Make the invited person's account with the password they chose; the link is
    spent. Returns the user."""
    # Lock the row: two tabs posting the same link make one account.
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_open():
        raise ValidationError("This invitation has been used or has expired.")
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": "This username is taken; choose another."})
    clinician = case_services.clinician_create(
        username=username,
        password=password,
        clinic=invitation.clinic,
        role=invitation.role,
        first_name=invitation.first_name,
        last_name=invitation.last_name,
        email=invitation.email,
        credential=invitation.credential,
    )
    user = clinician.user
    if invitation.role == Clinician.Role.CLINIC_ADMIN:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.groups.add(clinic_admin_group())
    invitation.accepted_at = timezone.now()
    invitation.user = user
    invitation.save(update_fields=["accepted_at", "user"])
    return user


def demo_accounts_mark(*, users) -> None:
    """Mark seed_demo's users: with DEMO_MODE on they sign in with a password only."""
    for user in users:
        DemoAccount.objects.get_or_create(user=user)
