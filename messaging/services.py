"""Writes to messaging."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from . import channels
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
