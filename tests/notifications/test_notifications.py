"""The notifications page: open, mark read, dismiss, snooze; unread counts in the nav."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notifications import channels, selectors, services
from notifications.models import Notification

pytestmark = pytest.mark.django_db

LIST = reverse("notifications:list")


def make(user, n=1, **kwargs):
    kwargs.setdefault("kind", Notification.Kind.MESSAGE)
    kwargs.setdefault("text", "New message in a case thread")
    kwargs.setdefault("url", "/messaging/")
    return [services.notify(recipient=user, **kwargs) for _ in range(n)]


def nav_badge(page: str) -> str:
    start = page.index('data-testid="nav-notifications"')
    return page[start : page.index("</a>", start)]


def test_notify_is_idempotent_by_key(world):
    first = services.notify(
        recipient=world.author.user, kind="message", text="New message", key="message:1"
    )
    again = services.notify(
        recipient=world.author.user, kind="message", text="New message", key="message:1"
    )
    assert first.pk == again.pk
    assert Notification.objects.count() == 1


def test_notify_hands_the_notification_to_each_channel_after_commit(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    delivered = []
    monkeypatch.setattr(channels, "_channels", [delivered.append])
    with django_capture_on_commit_callbacks(execute=True):
        notification = services.notify(
            recipient=world.author.user, kind="message", text="New message"
        )
        assert delivered == []  # not before the transaction commits
    assert delivered == [notification.pk]


def test_the_nav_shows_the_unread_count(world, as_user):
    make(world.author.user, 3)
    client = as_user(world.author.user)
    assert ">3<" in nav_badge(client.get(LIST).content.decode())
    services.notification_mark_read(notification=Notification.objects.first())
    assert ">2<" in nav_badge(client.get(LIST).content.decode())
    assert selectors.unread_notification_count(world.recipient.user) == 0


def test_opening_a_notification_marks_it_read_and_follows_its_link(world, as_user):
    (notification,) = make(world.author.user, url="/messaging/questions/")
    response = as_user(world.author.user).get(reverse("notifications:open", args=[notification.pk]))
    assert response["Location"] == "/messaging/questions/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_a_notification_never_leads_off_the_site(world, as_user):
    (notification,) = make(world.author.user, url="https://evil.example/phish")
    response = as_user(world.author.user).get(reverse("notifications:open", args=[notification.pk]))
    assert response["Location"] == LIST


def test_mark_read_dismiss_and_mark_all_read(world, as_user):
    first, second, third = make(world.author.user, 3)
    client = as_user(world.author.user)
    client.post(reverse("notifications:read", args=[first.pk]))
    client.post(reverse("notifications:dismiss", args=[second.pk]))
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None
    assert second.dismissed_at is not None
    assert f'id="notification-{second.pk}"' not in client.get(LIST).content.decode()
    client.post(reverse("notifications:read_all"))
    third.refresh_from_db()
    assert third.read_at is not None
    assert selectors.unread_notification_count(world.author.user) == 0


def test_a_snoozed_notification_hides_until_its_time_and_comes_back_unread(world, as_user):
    (notification,) = make(world.author.user)
    client = as_user(world.author.user)
    client.post(reverse("notifications:snooze", args=[notification.pk]), {"preset": "hour"})
    notification.refresh_from_db()
    assert notification.snoozed_until > timezone.now() + dt.timedelta(minutes=59)
    assert selectors.unread_notification_count(world.author.user) == 0
    page = client.get(LIST).content.decode()
    assert "Snoozed" in page and "Bring back now" in page
    with time_machine.travel(notification.snoozed_until + dt.timedelta(minutes=1)):
        assert selectors.unread_notification_count(world.author.user) == 1
        assert notification in selectors.notifications_current(world.author.user)


def test_snooze_until_a_chosen_time(world, as_user):
    (notification,) = make(world.author.user)
    until = timezone.localtime(timezone.now() + dt.timedelta(days=2)).replace(
        second=0, microsecond=0
    )
    as_user(world.author.user).post(
        reverse("notifications:snooze", args=[notification.pk]),
        {"preset": "custom", "until": until.strftime("%Y-%m-%dT%H:%M")},
    )
    notification.refresh_from_db()
    assert notification.snoozed_until == until


def test_snooze_refuses_the_past_and_a_missing_time(world, as_user):
    (notification,) = make(world.author.user)
    client = as_user(world.author.user)
    url = reverse("notifications:snooze", args=[notification.pk])
    past = timezone.localtime(timezone.now() - dt.timedelta(hours=2))
    response = client.post(
        url, {"preset": "custom", "until": past.strftime("%Y-%m-%dT%H:%M")}, follow=True
    )
    assert "Choose a time in the future." in response.content.decode()
    response = client.post(url, {"preset": "custom"}, follow=True)
    assert "Choose when it comes back." in response.content.decode()
    notification.refresh_from_db()
    assert notification.snoozed_until is None


def test_unsnooze_brings_it_back_now(world, as_user):
    (notification,) = make(world.author.user)
    services.notification_snooze(
        notification=notification, until=timezone.now() + dt.timedelta(days=1)
    )
    as_user(world.author.user).post(reverse("notifications:unsnooze", args=[notification.pk]))
    assert selectors.unread_notification_count(world.author.user) == 1


@pytest.mark.parametrize("action", ["open", "read", "dismiss", "snooze", "unsnooze"])
def test_someone_elses_notification_is_not_found(world, as_user, action):
    (notification,) = make(world.recipient.user)
    client = as_user(world.author.user)
    url = reverse(f"notifications:{action}", args=[notification.pk])
    response = client.get(url) if action == "open" else client.post(url, {"preset": "hour"})
    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None and notification.dismissed_at is None
    assert notification.snoozed_until is None


def test_the_page_lists_only_ones_own(world, as_user):
    make(world.recipient.user, text="For the prescriber only")
    make(world.author.user, text="For the therapist")
    page = as_user(world.author.user).get(LIST).content.decode()
    assert "For the therapist" in page
    assert "For the prescriber only" not in page


def test_the_page_query_count_does_not_grow(world, as_user):
    make(world.author.user, 2)
    client = as_user(world.author.user)
    with CaptureQueriesContext(connection) as small:
        client.get(LIST)
    make(world.author.user, 40)
    for notification in Notification.objects.filter(recipient=world.author.user)[:5]:
        services.notification_snooze(
            notification=notification, until=timezone.now() + dt.timedelta(hours=3)
        )
    with CaptureQueriesContext(connection) as large:
        page = client.get(LIST).content.decode()
    assert page.count("New message in a case thread") == 42
    assert len(large) == len(small)


def test_someone_elses_notification_is_refused_in_the_log_with_ids_only(world, as_user, caplog):
    (notification,) = make(world.recipient.user, text="Synthetic text of the prescriber")
    as_user(world.author.user).post(reverse("notifications:read", args=[notification.pk]))
    refusal = [r for r in caplog.records if r.name == "carecollab.notifications"]
    assert len(refusal) == 1
    assert f"pk={notification.pk}" in refusal[0].getMessage()
    assert "Synthetic text" not in refusal[0].getMessage()


@pytest.mark.parametrize(
    "unsafe",
    ["x", "//evil.example/", "/\\evil.example/", "javascript:alert(1)", "https://evil.example/"],
)
def test_an_unsafe_next_after_marking_read_lands_on_the_notifications_page(world, as_user, unsafe):
    (notification,) = make(world.author.user)
    response = as_user(world.author.user).post(
        reverse("notifications:read", args=[notification.pk]), {"next": unsafe}
    )
    assert response.status_code == 302
    assert response["Location"] == LIST
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_a_next_on_this_site_is_followed_after_marking_read(world, as_user):
    (notification,) = make(world.author.user)
    response = as_user(world.author.user).post(
        reverse("notifications:read", args=[notification.pk]), {"next": "/referrals/?page=2"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/referrals/?page=2"
