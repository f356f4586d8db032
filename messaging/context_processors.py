"""Unread notification count for the navigation."""

from django.db.models import Q
from django.utils import timezone

from .models import Notification


def unread(request) -> dict:
    if not request.user.is_authenticated:
        return {}
    count = (
        Notification.objects.filter(
            recipient=request.user, read_at__isnull=True, dismissed_at__isnull=True
        )
        .filter(Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=timezone.now()))
        .count()
    )
    return {"unread_notifications": count}
