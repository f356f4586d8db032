"""Invitations (how every account is made) and the demo's own accounts."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from cases.models import Clinic, Clinician


class Invitation(models.Model):
    """A one-time link for a person a clinic admin invites.

    The admin enters who the person is; the person sets their own password and second
    factor. Only a hash of the link's token is kept, so the table holds nothing that
    opens an account.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="invitations")
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150)
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Clinician.Role.choices)
    credential = models.CharField(max_length=20, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitation",
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["clinic", "-created_at"])]

    def __str__(self) -> str:
        return f"Invitation of {self.first_name} {self.last_name} ({self.get_role_display()})"

    def is_open(self, now=None) -> bool:
        """Not yet used and not expired."""
        return self.accepted_at is None and (now or timezone.now()) < self.expires_at


class DemoAccount(models.Model):
    """A user that seed_demo made: with DEMO_MODE on, they sign in with a password only."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="demo_account"
    )

    def __str__(self) -> str:
        return f"Demo account {self.user_id}"
