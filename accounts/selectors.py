"""Reads of accounts."""

from django.db.models import QuerySet

from .models import Invitation


def invitations_of_clinic(clinic_id: int) -> QuerySet[Invitation]:
    """A clinic's invitations, newest first, with who invited and who accepted."""
    return Invitation.objects.filter(clinic_id=clinic_id).select_related("invited_by", "user")
