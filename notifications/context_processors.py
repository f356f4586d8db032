"""Unread notification count for the navigation (one query per page)."""

from .selectors import unread_notification_count


def unread(request) -> dict:
    user = getattr(request, "user", None)  # none on a page refused before auth ran
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": unread_notification_count(user)}
