"""A real Celery worker on the real Redis broker, against PostgreSQL (not eager).

Each test points the Celery app at a broker for itself only and restores it after:
Redis from REDIS_URL (a database number of its own) or, for the outage, a closed
loopback port. The worker runs in this process (``start_worker``, solo pool) and sees
the test database because these tests commit (``transaction=True``).
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from unittest import mock

import pytest
from celery.contrib.testing.worker import start_worker
from celery.schedules import crontab
from django.conf import settings
from django.core import mail
from django.http import HttpResponse
from django.test import Client
from django.urls import include, path
from django.utils import timezone
from kombu import pools

from carecollab.celery import app
from messaging import reminders, tasks
from messaging.models import Reminder
from messaging.reminders import services
from notifications.models import Notification
from tests.conftest import make_world

from .test_reminders_kit import medication, observation

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls(__name__)]

Status = Reminder.Status


# A page that enqueues work: it asks for the patient's reminders at once, as a service
# that just changed the patient's records would (the sweep enqueues after commit).
def sweep_now(request, patient_pk):
    result = reminders.reminders_sweep(patient_ids=[patient_pk])
    return HttpResponse(f"created {result['created']}")


urlpatterns = [
    path("test/reminders/<int:patient_pk>/sweep/", sweep_now),
    path("", include("carecollab.urls")),
]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket closes


def redis_url() -> str:
    url = settings.REDIS_URL
    assert url.startswith("redis://"), "The worker tests need REDIS_URL (a Redis db of their own)."
    return url


def _drop_connections() -> None:
    """Forget the app's broker connections, so the next publish uses the new URL."""
    pools.reset()  # closes kombu's shared pools and forgets them
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker():
    """broker(url): use that broker, not eagerly, for this test only."""
    saved = (app.conf.broker_url, app.conf.task_always_eager)

    def use(url: str) -> None:
        _drop_connections()
        app.conf.broker_url = url
        app.conf.task_always_eager = False
        tasks._broker_down_until = 0.0  # a new broker: forget the last outage

    yield use
    _drop_connections()
    app.conf.broker_url, app.conf.task_always_eager = saved
    tasks._broker_down_until = 0.0


@pytest.fixture
def world(transactional_db):
    """The personas in a database the worker thread sees (committed rows)."""
    return make_world()


@pytest.fixture
def due_world(shared_world):
    """The shared world with a refill due today (for two) and a case that is not quiet."""
    medication(shared_world, last_fill_date=timezone.localdate(), days_supply=5)
    observation(shared_world, adherence="as_prescribed")
    return shared_world


def worker():
    return start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING")


def wait_for(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting for the worker")


def all_delivered() -> bool:
    rows = Reminder.objects.all()
    return rows.exists() and not rows.exclude(status=Status.SENT, email_sent_at__isnull=False)


def test_a_beat_sweep_is_delivered_by_a_real_worker_through_redis(due_world, broker):
    broker(redis_url())
    app.control.purge()
    with worker():
        tasks.sweep_reminders.delay()  # what beat sends
        wait_for(all_delivered)
    assert Reminder.objects.count() == 2
    assert sorted(n.recipient.username for n in Notification.objects.all()) == [
        "author",
        "recipient",
    ]
    assert sorted(m.to[0] for m in mail.outbox) == [
        "author@example.invalid",
        "recipient@example.invalid",
    ]


def test_a_failed_delivery_is_retried_through_redis_and_delivered_once(due_world, broker):
    broker(redis_url())
    app.control.purge()
    reminders.reminders_sweep()  # rows first; enqueued after commit, before a worker runs
    real_notify = services.notify
    calls = []

    def flaky_notify(**kwargs):
        calls.append(kwargs["key"])
        if len(calls) == 1:
            raise ConnectionError("simulated failure")
        return real_notify(**kwargs)

    with mock.patch.object(services, "notify", side_effect=flaky_notify), worker():
        wait_for(all_delivered, timeout=30)
    assert len(calls) == 3  # one failure, its retry, the other reminder
    assert Notification.objects.count() == 2
    assert len(mail.outbox) == 2
    assert sorted(Reminder.objects.values_list("attempts", flat=True)) == [1, 2]


def test_with_the_broker_down_the_page_answers_and_the_next_sweep_delivers(due_world, broker):
    broker(f"redis://127.0.0.1:{closed_port()}/0")
    client = Client()
    client.force_login(due_world.author.user)
    started = time.monotonic()
    response = client.get(f"/test/reminders/{due_world.patient.pk}/sweep/")
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert response.content == b"created 2"  # the refill, for the therapist and the prescriber
    assert elapsed < 3, f"the page waited {elapsed:.1f}s for the broker"
    assert set(Reminder.objects.values_list("status", flat=True)) == {Status.PENDING}
    # The app keeps serving; the next enqueue does not even wait for the broker.
    started = time.monotonic()
    assert client.get(f"/test/reminders/{due_world.patient.pk}/sweep/").status_code == 200
    assert client.get("/").status_code == 200
    assert time.monotonic() - started < 2

    broker(redis_url())  # Redis is back
    app.control.purge()
    with worker():
        tasks.sweep_reminders.delay()
        wait_for(all_delivered)
    assert Notification.objects.count() == 2
    assert len(mail.outbox) == 2


def test_two_senders_at_once_send_one_email(due_world, broker):
    reminders.reminders_sweep()  # eager here: delivered and e-mailed
    reminder = Reminder.objects.get(recipient=due_world.author.user)
    Reminder.objects.filter(pk=reminder.pk).update(email_sent_at=None)
    mail.outbox.clear()
    from django.core.mail.backends.locmem import EmailBackend

    real_send = EmailBackend.send_messages
    entered = threading.Event()

    def slow_send(self, messages):
        entered.set()
        time.sleep(1)  # the first sender holds the claim while "SMTP" works
        return real_send(self, messages)

    results = []

    def send():
        from django.db import connection

        try:
            results.append(services.reminder_email_send(notification_id=reminder.notification_id))
        finally:
            connection.close()

    with mock.patch.object(EmailBackend, "send_messages", slow_send):
        first = threading.Thread(target=send)
        first.start()
        assert entered.wait(5)
        second = threading.Thread(target=send)
        second.start()
        first.join(10)
        second.join(10)
    assert sorted(results) == [False, True]
    assert len(mail.outbox) == 1


def test_the_stuck_row_of_a_dead_worker_is_delivered_once_by_a_real_worker(due_world, broker):
    reminders.reminders_sweep(kinds=[Reminder.Kind.REFILL_DUE])
    mail.outbox.clear()
    stuck = Reminder.objects.get(recipient=due_world.author.user)
    Notification.objects.filter(reminder=stuck).delete()
    Reminder.objects.filter(pk=stuck.pk).update(
        status=Status.SENDING,
        claimed_at=timezone.now() - services.STUCK_AFTER - dt.timedelta(seconds=1),
        email_sent_at=None,
        sent_at=None,
    )
    broker(redis_url())
    app.control.purge()
    with worker():
        tasks.deliver_reminder.delay(stuck.pk)  # redelivered by Redis: claims nothing
        tasks.redeliver_reminders.delay()  # beat: the row is stuck, hand it out again
        wait_for(all_delivered)
    assert Notification.objects.filter(recipient=due_world.author.user).count() == 1
    assert [m.to[0] for m in mail.outbox] == ["author@example.invalid"]


def test_the_beat_schedule_enqueues_registered_tasks_that_expire_before_the_next_run():
    from carecollab.celery import BEAT_SCHEDULE

    app.loader.import_default_modules()
    assert {entry["task"] for entry in BEAT_SCHEDULE.values()} == {
        "messaging.sweep_reminders",
        "messaging.redeliver_reminders",
        "releases.sweep_releases",
        "medications.planned_steps_take_effect",
        "alerts.escalate_alerts",
    }
    for entry in BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks
        period = entry["schedule"]
        if isinstance(period, crontab):  # once a day, at one fixed time
            assert len(period.hour) == 1 and len(period.minute) == 1
            period = 24 * 3600
        assert entry["options"]["expires"] < period
    assert app.conf.beat_schedule == BEAT_SCHEDULE
    # Retries wait as tasks in Redis only briefly: far inside the visibility timeout.
    timeout = app.conf.broker_transport_options["visibility_timeout"]
    for task in (tasks.deliver_reminder, tasks.send_reminder_email):
        assert task.acks_late and task.reject_on_worker_lost
        assert task.retry_backoff_max < timeout
        assert task.time_limit < services.STUCK_AFTER.total_seconds()


def test_the_releases_sweep_task_expires_releases_past_their_date(due_world):
    from releases.models import InformationRelease
    from releases.tasks import sweep_releases

    release = due_world.extra["release"]
    InformationRelease.objects.filter(pk=release.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert sweep_releases.delay().get()["expired"] == 1  # eager here
    release.refresh_from_db()
    assert release.status == InformationRelease.Status.EXPIRED
