"""Delivery channels for notifications.

The in-app channel is the Notification row itself. Other channels (e-mail, added by the
reminders, in ``messaging``) register here; ``notifications.services.notify`` hands every new
notification to each registered channel after the transaction commits, so callers
never change when a channel is added.
"""

from collections.abc import Callable

_channels: list[Callable[[int], None]] = []


def register(channel: Callable[[int], None]) -> None:
    """Add a channel: a callable that takes a notification id (runs after commit)."""
    if channel not in _channels:
        _channels.append(channel)


def channels() -> list[Callable[[int], None]]:
    return list(_channels)
