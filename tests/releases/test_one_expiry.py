"""A release ends at one instant held in one column (issue 11, hole 5): the date the
pages show and the reminders use is read from the instant the gate enforces, so an
UPDATE of that column cannot leave them disagreeing."""

import datetime as dt

import pytest
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone

from cases.models import Observation
from releases import gate
from releases.models import InformationRelease, start_of_day
from tests.factories import observation
from tests.releasekit import share

pytestmark = pytest.mark.django_db


def test_there_is_one_expiry_column():
    with pytest.raises(FieldDoesNotExist):
        InformationRelease._meta.get_field("expires_on")
    assert InformationRelease._meta.get_field("expires_at")


def test_the_date_shown_follows_the_instant_the_gate_enforces(world):
    release = share(world)
    note = observation(world.case, world.author.user)
    assert gate.can_read(world.recipient.user, note)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    InformationRelease.objects.filter(pk=release.pk).update(expires_at=start_of_day(yesterday))
    release.refresh_from_db()
    # The page's date and the gate agree: it ended at the start of yesterday.
    assert release.expires_on == yesterday - dt.timedelta(days=1)
    assert not release.is_active_at()
    assert not gate.can_read(world.recipient.user, Observation.objects.get(pk=note.pk))


def test_setting_the_date_sets_the_instant():
    release = InformationRelease(expires_on=dt.date(2030, 5, 31))
    assert release.expires_at == start_of_day(dt.date(2030, 6, 1))
    assert release.expires_on == dt.date(2030, 5, 31)
    release.expires_on = None
    assert release.expires_at is None
