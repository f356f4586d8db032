"""Notifications in the access matrix: no shared kind, and no page shows PHI (their texts
never hold any; each user reaches their own notifications only, tested in
tests/notifications)."""

KINDS: dict = {}

URLS: list = []

NOT_PHI = {
    "notifications:list": "the user's own notifications; their texts hold no PHI",
    "notifications:open": "marks the user's own notification read and follows it",
    "notifications:read": "own notification",
    "notifications:read_all": "own notifications",
    "notifications:dismiss": "own notification",
    "notifications:snooze": "own notification",
    "notifications:unsnooze": "own notification",
}
