"""Reads of notifications. They carry no PHI and belong to their recipient alone, so
they are not read through the gate; another user's notification is refused like a
missing one (404, logged with ids only)."""

from __future__ import annotations

import logging

from django.db.models import Case, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from .models import Notification

logger = logging.getLogger("carecollab.notifications")


def _not_snoozed(now) -> Q:
    return Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now)


def notifications_current(user, *, now=None) -> QuerySet[Notification]:
    """The user's notifications to show now (not dismissed, not snoozed): unread urgent
    ones first, then newest first."""
    now = now or timezone.now()
    urgent_unread = Case(
        When(kind=Notification.Kind.URGENT, read_at__isnull=True, then=Value(0)),
        default=Value(1),
    )
    return Notification.objects.filter(
        _not_snoozed(now), recipient=user, dismissed_at__isnull=True
    ).order_by(urgent_unread, "-created_at", "-pk")


def notifications_snoozed(user, *, now=None) -> QuerySet[Notification]:
    """The user's snoozed notifications, the soonest to come back first."""
    now = now or timezone.now()
    return Notification.objects.filter(
        recipient=user, dismissed_at__isnull=True, snoozed_until__gt=now
    ).order_by("snoozed_until", "pk")


def unread_notification_count(user, *, now=None) -> int:
    """Unread notifications showing now (the navigation badge)."""
    return notifications_current(user, now=now).filter(read_at__isnull=True).count()


def access_notification_by_id(user, pk) -> Notification:
    """One of the user's own notifications; 404 (logged) alike for missing and others'."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise _refuse(user, pk, reason="bad id") from None
    notification = Notification.objects.filter(pk=pk, recipient=user).first()
    if notification is None:
        raise _refuse(user, pk, reason="not the recipient")
    return notification


def _refuse(user, pk, *, reason: str) -> Http404:
    logger.warning(
        "notification refused: user=%s pk=%s reason=%s", getattr(user, "pk", None), pk, reason
    )
    return Http404("Not found.")
