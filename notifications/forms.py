"""Forms of the notifications page."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone

from carecollab.forms import datetime_field


class SnoozeForm(forms.Form):
    PRESETS = [
        ("hour", "For an hour"),
        ("afternoon", "Until 1 pm"),
        ("tomorrow", "Until tomorrow, 8 am"),
        ("week", "Until next Monday, 8 am"),
        ("custom", "Until…"),
    ]
    preset = forms.ChoiceField(choices=PRESETS, initial="tomorrow", label="Snooze")
    until = datetime_field(required=False, label="Until")

    def clean(self):
        cleaned = super().clean()
        preset = cleaned.get("preset")
        if preset == "custom" and not cleaned.get("until"):
            self.add_error("until", "Choose when it comes back.")
        return cleaned

    def until_time(self, now: dt.datetime | None = None) -> dt.datetime:
        """The moment the notification comes back, in the clinic's time zone."""
        now = timezone.localtime(now or timezone.now())
        preset = self.cleaned_data["preset"]
        eight = dt.time(8, 0)
        if preset == "hour":
            return now + dt.timedelta(hours=1)
        if preset == "afternoon":
            today_one = now.replace(hour=13, minute=0, second=0, microsecond=0)
            return today_one if today_one > now else today_one + dt.timedelta(days=1)
        if preset == "tomorrow":
            day = now.date() + dt.timedelta(days=1)
            return timezone.make_aware(dt.datetime.combine(day, eight))
        if preset == "week":
            day = now.date() + dt.timedelta(days=7 - now.weekday())
            return timezone.make_aware(dt.datetime.combine(day, eight))
        return self.cleaned_data["until"]
