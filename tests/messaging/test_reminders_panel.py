"""The clinician's "due" view on the home page: their due reminders, soonest first,
without what was dismissed, snoozed, resolved or may no longer be read."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from medications.models import MedicationChange
from messaging import reminders
from messaging.models import Reminder
from notifications.models import Notification
from notifications.services import notification_dismiss, notification_snooze
from releases.services import release_revoke

from .test_reminders_due import expiring
from .test_reminders_kit import (  # noqa: F401  (the fixtures clock and rem)
    START,
    change,
    clock_fixture,
    medication,
    rem_fixture,
)

pytestmark = pytest.mark.django_db

Kind = Reminder.Kind


@pytest.fixture
def due_now(rem, clock, django_capture_on_commit_callbacks):
    """A check-in due 8 days ago, a refill due today, a release notice due 2 days ago."""
    change(rem, medication(rem), MedicationChange.Kind.START, START - dt.timedelta(days=15))
    medication(rem, name="Refillamine", last_fill_date=START, days_supply=7)
    expiring(rem, START + dt.timedelta(days=28))
    with django_capture_on_commit_callbacks(execute=True):
        reminders.reminders_sweep(kinds=[Kind.CHECKIN_DUE, Kind.REFILL_DUE, Kind.RELEASE_EXPIRING])
    return rem


def panel_kinds(user) -> list[str]:
    items, _ = reminders.reminders_due_for(user)
    return [item.reminder.kind for item in items]


def test_the_therapists_home_page_lists_due_reminders_soonest_first(due_now, client):
    client.force_login(due_now.author.user)
    page = client.get(reverse("home")).content.decode()
    panel = page[page.index('data-testid="panel-due"') :]
    order = [
        panel.index("A check-in is due after a medication change"),
        panel.index("An information release expires soon"),
        panel.index("A refill is due soon"),
    ]
    assert order == sorted(order)
    assert due_now.patient.family_name in panel
    assert panel_kinds(due_now.author.user) == [
        Kind.CHECKIN_DUE,
        Kind.RELEASE_EXPIRING,
        Kind.REFILL_DUE,
    ]


def test_the_prescriber_sees_their_own_due_reminders_only(due_now, client):
    assert panel_kinds(due_now.recipient.user) == [Kind.RELEASE_EXPIRING, Kind.REFILL_DUE]
    client.force_login(due_now.recipient.user)
    page = client.get(reverse("home")).content.decode()
    assert "A check-in is due after a medication change" not in page


def test_the_clinic_admin_sees_the_release_notice(due_now, client):
    assert panel_kinds(due_now.clinic_admin.user) == [Kind.RELEASE_EXPIRING]
    client.force_login(due_now.clinic_admin.user)
    assert "An information release expires soon" in client.get(reverse("home")).content.decode()


def test_a_dismissed_or_snoozed_reminder_leaves_the_panel_and_a_lapsed_snooze_brings_it_back(
    due_now, clock
):
    user = due_now.author.user
    checkin = Notification.objects.get(recipient=user, reminder__kind=Kind.CHECKIN_DUE)
    refill = Notification.objects.get(recipient=user, reminder__kind=Kind.REFILL_DUE)
    notification_dismiss(notification=checkin)
    notification_snooze(notification=refill, until=timezone.now() + dt.timedelta(hours=3))
    assert panel_kinds(user) == [Kind.RELEASE_EXPIRING]
    clock.traveller.shift(dt.timedelta(hours=4))
    assert panel_kinds(user) == [Kind.RELEASE_EXPIRING, Kind.REFILL_DUE]


def test_a_resolved_reminder_leaves_the_panel(due_now):
    Reminder.objects.filter(kind=Kind.CHECKIN_DUE).update(status=Reminder.Status.RESOLVED)
    assert Kind.CHECKIN_DUE not in panel_kinds(due_now.author.user)


def test_the_panel_hides_what_the_reader_may_no_longer_read_before_any_sweep(due_now):
    release_revoke(
        release=due_now.extra["release"], actor=due_now.clinic_admin.user, reason="Revoked"
    )
    # The reminders are still open rows; the gate decides at read time.
    assert Reminder.objects.filter(
        recipient=due_now.author.user, kind=Kind.REFILL_DUE, status=Reminder.Status.SENT
    ).exists()
    assert panel_kinds(due_now.author.user) == [Kind.RELEASE_EXPIRING]


def test_the_panel_reads_a_constant_number_of_queries(rem, clock):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            items, total = reminders.reminders_due_for(rem.author.user)
        return len(queries), total

    for index in range(3):
        medication(rem, name=f"Few{index}", last_fill_date=START, days_supply=3)
    reminders.reminders_sweep(kinds=[Kind.REFILL_DUE])
    few, few_total = count_queries()
    for index in range(30):
        medication(rem, name=f"Many{index}", last_fill_date=START, days_supply=3)
        change(rem, medication(rem, name=f"Changed{index}"), "start", START - dt.timedelta(7))
    reminders.reminders_sweep(kinds=[Kind.REFILL_DUE, Kind.CHECKIN_DUE])
    many, many_total = count_queries()
    assert (few_total, many_total) == (3, 63)
    assert many <= few + 1  # one more kind of subject, one more query


def test_dismissing_from_the_panel_takes_the_reminder_off_and_returns_home(due_now, client):
    user = due_now.author.user
    client.force_login(user)
    checkin = Reminder.objects.get(recipient=user, kind=Kind.CHECKIN_DUE)
    page = client.get(reverse("home")).content.decode()
    action = reverse("notifications:dismiss", args=[checkin.notification_id])
    assert f'action="{action}"' in page
    response = client.post(action, {"next": reverse("home")})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert panel_kinds(user) == [Kind.RELEASE_EXPIRING, Kind.REFILL_DUE]
    # Dismissed, not resolved: the reminder row still records that it was due and sent.
    checkin.refresh_from_db()
    assert checkin.status == Reminder.Status.SENT
