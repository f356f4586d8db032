"""Writes of notifications: notify (in the app, then every registered channel after
commit), read, dismiss, snooze. Notifications are not audited records."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from . import channels, selectors
from .models import Notification


def notify(*, recipient, kind: str, text: str, url: str = "", key: str = "") -> Notification:
    """Notify a user in the app and through every registered channel (after commit).

    ``text`` must hold no PHI. With a ``key``, a second call for the same recipient and
    key creates nothing and returns the first notification.
    """
    if key:
        existing = Notification.objects.filter(recipient=recipient, key=key).first()
        if existing:
            return existing
    notification = Notification(recipient=recipient, kind=kind, text=text, url=url, key=key)
    notification.full_clean()
    try:
        with transaction.atomic():
            notification.save()
    except IntegrityError:
        return Notification.objects.get(recipient=recipient, key=key)
    for channel in channels.channels():
        transaction.on_commit(lambda channel=channel, pk=notification.pk: channel(pk))
    return notification


@transaction.atomic
def notification_mark_read(*, notification: Notification) -> Notification:
    """Mark one notification read (idempotent)."""
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_read(*, notifications: QuerySet[Notification], now=None) -> int:
    """Mark these notifications read (the read ones keep their time); returns how many."""
    # Notifications are not audited records, so one UPDATE is fine here.
    return notifications.filter(read_at__isnull=True).update(read_at=now or timezone.now())


@transaction.atomic
def notification_mark_all_read(*, recipient) -> int:
    """Mark every unread notification of the user that shows now read; returns how many."""
    now = timezone.now()
    return notifications_mark_read(
        notifications=selectors.notifications_current(recipient, now=now), now=now
    )


URGENT_STAYS = (
    "An urgent alert cannot be dismissed or snoozed: open it and acknowledge it with what "
    "was done; that ends it for everyone."
)


def _refuse_urgent(notification: Notification) -> None:
    if notification.kind == Notification.Kind.URGENT:
        raise ValidationError(URGENT_STAYS)


@transaction.atomic
def notification_dismiss(*, notification: Notification) -> Notification:
    """Take a notification off the list for good (it counts as read); never an urgent one."""
    _refuse_urgent(notification)
    now = timezone.now()
    notification.dismissed_at = now
    notification.read_at = notification.read_at or now
    notification.save(update_fields=["dismissed_at", "read_at"])
    return notification


SNOOZE_LIMIT = dt.timedelta(days=90)


@transaction.atomic
def notification_snooze(*, notification: Notification, until: dt.datetime) -> Notification:
    """Hide a notification until ``until``; it comes back unread then (never an urgent one)."""
    _refuse_urgent(notification)
    now = timezone.now()
    if timezone.is_naive(until):
        until = timezone.make_aware(until)
    if until <= now:
        raise ValidationError({"until": "Choose a time in the future."})
    if until > now + SNOOZE_LIMIT:
        raise ValidationError({"until": "Snooze for at most 90 days."})
    if notification.dismissed_at:
        raise ValidationError("A dismissed notification cannot be snoozed.")
    notification.snoozed_until = until
    notification.read_at = None
    notification.save(update_fields=["snoozed_until", "read_at"])
    return notification


@transaction.atomic
def notification_unsnooze(*, notification: Notification) -> Notification:
    """Bring a snoozed notification back now."""
    notification.snoozed_until = None
    notification.save(update_fields=["snoozed_until"])
    return notification
