"""Unread notification count for the navigation (one query per page)."""

from .selectors import unread_notification_count


def unread(request) -> dict:
    if not request.user.is_authenticated:
        return {}
    return {"unread_notifications": unread_notification_count(request.user)}
