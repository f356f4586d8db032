"""Delivery, exactly once: in the app (one notification per reminder, by its key) and by
e-mail (one message per reminder, by the claim on ``email_sent_at``), whatever runs
twice, fails, dies or retries. Tasks run eagerly here (tests/conftest.py); the real
worker on Redis has its own test (test_worker.py).
"""

import datetime as dt
import smtplib
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command

from cases.models import Clinician, Patient
from medications.models import Medication, MedicationChange
from messaging import reminders, tasks
from messaging.models import Reminder
from messaging.reminders import services
from notifications.models import Notification

from .test_reminders_due import expiring
from .test_reminders_kit import (  # noqa: F401  (the fixtures clock and rem)
    START,
    change,
    clock_fixture,
    medication,
    observation,
    question,
    refill_request,
    rem_fixture,
)

pytestmark = pytest.mark.django_db

Status = Reminder.Status


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """run(fn, **kw): call a service and run what it enqueues after commit (eagerly)."""

    def call(fn, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    return call


@pytest.fixture
def refill_due(rem):
    """A refill due today for the therapist (author) and the prescriber (recipient)."""
    return medication(rem, last_fill_date=START, days_supply=5)


def sent_to() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def test_a_sweep_delivers_each_reminder_in_the_app_and_by_email(rem, refill_due, run):
    run(reminders.reminders_sweep, kinds=[Reminder.Kind.REFILL_DUE])
    rows = Reminder.objects.select_related("notification")
    assert {row.status for row in rows} == {Status.SENT}
    assert all(row.email_sent_at and row.notification for row in rows)
    assert sorted(n.recipient.username for n in Notification.objects.all()) == [
        "author",
        "recipient",
    ]
    assert sent_to() == ["author@example.invalid", "recipient@example.invalid"]
    assert all(n.kind == Notification.Kind.REMINDER for n in Notification.objects.all())


def test_two_sweeps_send_one_notification_and_one_email_per_reminder(rem, refill_due, run):
    run(reminders.reminders_sweep)
    notifications, mails = Notification.objects.count(), len(mail.outbox)
    assert run(reminders.reminders_sweep)["created"] == 0
    run(reminders.reminders_redeliver, now=rem_now() + dt.timedelta(hours=1))
    assert Notification.objects.count() == notifications
    assert len(mail.outbox) == mails == Reminder.objects.count()


def rem_now():
    from django.utils import timezone

    return timezone.now()


def test_a_delivery_that_fails_is_given_back_and_delivers_once_on_retry(rem, refill_due, run):
    reminders.reminders_sweep(kinds=[Reminder.Kind.REFILL_DUE])  # rows only
    reminder = Reminder.objects.get(recipient=rem.author.user)
    real_notify = services.notify
    calls = []

    def flaky_notify(**kwargs):
        calls.append(kwargs["key"])
        if len(calls) == 1:
            raise ConnectionError("simulated database hiccup")
        return real_notify(**kwargs)

    with mock.patch.object(services, "notify", side_effect=flaky_notify):
        # Eagerly the failure is logged, not raised (a worker would retry with backoff).
        run(tasks.enqueue_many, task=tasks.deliver_reminder, ids=[reminder.pk])
        reminder.refresh_from_db()
        assert (reminder.status, reminder.attempts) == (Status.PENDING, 1)
        assert not Notification.objects.exists()
        run(tasks.enqueue_many, task=tasks.deliver_reminder, ids=[reminder.pk])  # the retry

    reminder.refresh_from_db()
    assert calls == [f"reminder:{reminder.pk}"] * 2
    assert (reminder.status, reminder.attempts) == (Status.SENT, 2)
    assert Notification.objects.filter(recipient=rem.author.user).count() == 1
    assert sent_to() == ["author@example.invalid"]


def test_a_delivery_that_keeps_failing_ends_failed_and_still_shows_as_due(rem, refill_due):
    reminders.reminders_sweep(kinds=[Reminder.Kind.REFILL_DUE])
    reminder = Reminder.objects.get(recipient=rem.author.user)
    Reminder.objects.filter(pk=reminder.pk).update(attempts=services.MAX_ATTEMPTS - 1)
    with (
        mock.patch.object(services, "notify", side_effect=ConnectionError("down")),
        pytest.raises(ConnectionError),
    ):
        services.reminder_deliver(reminder_id=reminder.pk)
    reminder.refresh_from_db()
    assert reminder.status == Status.FAILED
    items, total = reminders.reminders_due_for(rem.author.user)
    assert [item.reminder.pk for item in items] == [reminder.pk]


def test_an_email_that_fails_is_sent_once_later(rem, refill_due, run, clock):
    from django.core.mail.backends.locmem import EmailBackend

    real_send = EmailBackend.send_messages
    attempts = []

    def flaky_send(self, messages):
        attempts.extend(address for message in messages for address in message.to)
        if len(attempts) == 1:
            raise smtplib.SMTPServerDisconnected("simulated SMTP failure")
        return real_send(self, messages)

    Clinician.objects.filter(pk=rem.recipient.pk).update(email_reminders=False)
    reminders.reminders_sweep(kinds=[Reminder.Kind.REFILL_DUE])
    reminder = Reminder.objects.get(recipient=rem.author.user)
    with mock.patch.object(EmailBackend, "send_messages", flaky_send):
        run(tasks.deliver_reminder.delay, reminder_id=reminder.pk)
        reminder.refresh_from_db()
        assert reminder.status == Status.SENT
        assert reminder.email_sent_at is None  # the failed send gave its claim back
        clock.traveller.shift(services.EMAIL_GRACE + dt.timedelta(seconds=1))
        run(reminders.reminders_redeliver)
        run(reminders.reminders_redeliver)
    reminder.refresh_from_db()
    assert attempts == ["author@example.invalid"] * 2
    assert reminder.email_sent_at is not None
    assert sent_to() == ["author@example.invalid"]


def test_a_failed_send_gives_the_email_claim_back(rem, refill_due, run):
    reminders.reminders_sweep(kinds=[Reminder.Kind.REFILL_DUE])
    reminder = Reminder.objects.get(recipient=rem.author.user)
    with mock.patch("notifications.channels.channels", return_value=[]):
        services.reminder_deliver(reminder_id=reminder.pk)  # in the app only
    reminder.refresh_from_db()
    with (
        mock.patch(
            "django.core.mail.backends.locmem.EmailBackend.send_messages",
            side_effect=smtplib.SMTPServerDisconnected("down"),
        ),
        pytest.raises(smtplib.SMTPServerDisconnected),
    ):
        services.reminder_email_send(notification_id=reminder.notification_id)
    reminder.refresh_from_db()
    assert reminder.email_sent_at is None  # rolled back with the failed send
    assert services.reminder_email_send(notification_id=reminder.notification_id) is True
    assert services.reminder_email_send(notification_id=reminder.notification_id) is False
    assert len(mail.outbox) == 1


def test_a_task_delivered_twice_claims_nothing_the_second_time(rem, refill_due, run):
    reminders.reminders_sweep(kinds=[Reminder.Kind.REFILL_DUE])
    reminder = Reminder.objects.get(recipient=rem.author.user)
    assert run(services.reminder_deliver, reminder_id=reminder.pk) is True
    # Redis hands the same task out again (acks_late after a lost worker).
    assert run(services.reminder_deliver, reminder_id=reminder.pk) is False
    # Even a row forced back to pending (a stuck-row reset racing a live task) notifies
    # and e-mails once: the notification key and the e-mail claim hold.
    Reminder.objects.filter(pk=reminder.pk).update(status=Status.PENDING)
    assert run(services.reminder_deliver, reminder_id=reminder.pk) is True
    assert Notification.objects.filter(recipient=rem.author.user).count() == 1
    assert len(mail.outbox) == 1


def test_a_worker_that_died_mid_delivery_is_redelivered_after_the_timeout(
    rem, refill_due, run, clock
):
    reminders.reminders_sweep(kinds=[Reminder.Kind.REFILL_DUE])
    reminder = Reminder.objects.get(recipient=rem.author.user)
    # The worker claimed the row and died before committing anything else.
    Reminder.objects.filter(pk=reminder.pk).update(
        status=Status.SENDING, claimed_at=rem_now(), attempts=1
    )
    # The broker redelivers the task (acks_late): the row is taken, nothing happens.
    assert run(tasks.deliver_reminder.delay, reminder_id=reminder.pk).result is False
    assert run(reminders.reminders_redeliver)["requeued"] == 0  # not stuck yet
    clock.traveller.shift(services.STUCK_AFTER + dt.timedelta(seconds=1))
    assert run(reminders.reminders_redeliver)["requeued"] == 1
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (Status.SENT, 2)
    assert Notification.objects.filter(recipient=rem.author.user).count() == 1
    assert "author@example.invalid" in sent_to()
    assert len([n for n in Notification.objects.all() if n.recipient_id == rem.author.user.pk]) == 1


def test_an_email_whose_task_was_lost_is_sent_by_the_redelivery_sweep(rem, refill_due, run, clock):
    # The in-app delivery committed; the e-mail task never reached Redis.
    with mock.patch("notifications.channels.channels", return_value=[]):
        run(reminders.reminders_sweep, kinds=[Reminder.Kind.REFILL_DUE])
    assert mail.outbox == []
    assert run(reminders.reminders_redeliver)["emails"] == 0  # within the grace period
    clock.traveller.shift(services.EMAIL_GRACE + dt.timedelta(seconds=1))
    assert run(reminders.reminders_redeliver)["emails"] == 2
    assert run(reminders.reminders_redeliver)["emails"] == 0
    assert sent_to() == ["author@example.invalid", "recipient@example.invalid"]


def test_pending_rows_left_by_a_broker_outage_are_delivered_by_the_redelivery_sweep(
    rem, refill_due, run, clock
):
    reminders.reminders_sweep(kinds=[Reminder.Kind.REFILL_DUE])  # enqueue never ran
    clock.traveller.shift(services.REDELIVER_GRACE + dt.timedelta(seconds=1))
    assert run(reminders.reminders_redeliver)["pending"] == 2
    assert set(Reminder.objects.values_list("status", flat=True)) == {Status.SENT}
    assert len(mail.outbox) == 2


def test_who_switched_email_off_gets_the_reminder_in_the_app_only(rem, refill_due, run):
    Clinician.objects.filter(pk=rem.author.pk).update(email_reminders=False)
    run(reminders.reminders_sweep, kinds=[Reminder.Kind.REFILL_DUE])
    assert Notification.objects.filter(recipient=rem.author.user).count() == 1
    assert sent_to() == ["recipient@example.invalid"]
    assert Reminder.objects.get(recipient=rem.author.user).email_sent_at is None


def test_a_reminder_resolved_before_delivery_is_never_sent(rem, refill_due, run):
    reminders.reminders_sweep(kinds=[Reminder.Kind.REFILL_DUE])
    Medication.objects.filter(pk=refill_due.pk).update(
        status=Medication.Status.STOPPED, stop_date=START
    )
    run(reminders.reminders_sweep, kinds=[Reminder.Kind.REFILL_DUE])
    assert set(Reminder.objects.values_list("status", flat=True)) == {Status.RESOLVED}
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_resolving_a_delivered_reminder_marks_its_notification_read(rem, run, clock):
    change(rem, medication(rem), MedicationChange.Kind.START, START - dt.timedelta(days=7))
    run(reminders.reminders_sweep, kinds=[Reminder.Kind.CHECKIN_DUE])
    notification = Notification.objects.get(recipient=rem.author.user)
    assert notification.read_at is None
    reminders.reminders_resolve_for(observation(rem, adherence="as_prescribed", response="better"))
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_logging_the_observation_on_its_page_resolves_the_checkin(rem, run, client):
    change(rem, medication(rem), MedicationChange.Kind.START, START - dt.timedelta(days=7))
    run(reminders.reminders_sweep, kinds=[Reminder.Kind.CHECKIN_DUE])
    reminder = Reminder.objects.get()
    # The link of the reminder is the observation form of the patient.
    assert reminder.notification.url == f"/cases/patients/{rem.patient.pk}/observations/new/"
    client.force_login(rem.author.user)
    response = client.post(
        reminder.notification.url,
        {
            "observed_on": START.isoformat(),
            "adherence": "as_prescribed",
            "response": "better",
            "shared": "on",
            "category": "observations",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    run(reminders.reminders_sweep)
    reminder.refresh_from_db()
    assert reminder.status == Status.RESOLVED


# --- no PHI in any e-mail ---------------------------------------------------------------------


def phi_strings() -> set[str]:
    """Everything that would identify a patient or their treatment."""
    strings = set()
    for given, family, mrn in Patient.objects.values_list("given_name", "family_name", "mrn"):
        strings |= {given, family, mrn}
    for name, strength, directions in Medication.objects.values_list(
        "name", "strength", "directions"
    ):
        strings |= {name, strength, directions}
    return {s for s in strings if s and len(s) > 2}


def assert_no_phi(messages):
    phi = {s.lower() for s in phi_strings()}
    assert phi
    for message in messages:
        text = f"{message.subject}\n{message.body}".lower()
        leaked = {s for s in phi if s in text}
        assert not leaked, f"PHI in an e-mail: {leaked}"


def test_no_email_of_any_kind_carries_phi(rem, run, clock):
    med = medication(rem, name="Phiamine", schedule="II", last_fill_date=START, days_supply=5)
    change(rem, med, MedicationChange.Kind.START, START - dt.timedelta(days=7))
    refill_request(rem, medication(rem, name="Secretoxetine"), late=True)
    expiring(rem, START + dt.timedelta(days=20))
    clock.to(START - dt.timedelta(days=3))
    question(rem)
    clock.to(START)
    run(reminders.reminders_sweep)
    assert {r.kind for r in Reminder.objects.all()} == set(Reminder.Kind.values)
    assert len(mail.outbox) == Reminder.objects.filter(email_sent_at__isnull=False).count() > 6
    assert_no_phi(mail.outbox)
    for notification in Notification.objects.all():
        assert not any(s.lower() in notification.text.lower() for s in phi_strings())


def test_send_reminders_on_the_demo_data_sends_once_and_a_second_run_sends_nothing(db, clock):
    call_command("seed_demo", verbosity=0)
    out = call_command_output("send_reminders")
    created = Reminder.objects.count()
    emailed = len(mail.outbox)
    assert created > 0 and emailed > 0
    assert f"reminders created: {created}, resolved: 0, requeued: 0, " in out
    assert f"delivered: {created}, e-mailed: {emailed}" in out
    assert Reminder.objects.filter(status=Status.SENT, email_sent_at__isnull=False).count() == (
        created
    )
    again = call_command_output("send_reminders")
    assert "reminders created: 0, resolved: 0, requeued: 0, delivered: 0, e-mailed: 0" in again
    assert len(mail.outbox) == emailed
    assert Notification.objects.filter(kind=Notification.Kind.REMINDER).count() == created


def test_no_demo_reminder_email_carries_phi(db, clock):
    call_command("seed_demo", verbosity=0)
    call_command_output("send_reminders")
    clock.traveller.shift(dt.timedelta(days=10))  # the demo's cases go quiet, and more
    call_command_output("send_reminders")
    kinds = set(Reminder.objects.values_list("kind", flat=True))
    assert len(kinds) >= 4, kinds
    assert len(mail.outbox) == Reminder.objects.filter(email_sent_at__isnull=False).count()
    assert_no_phi(mail.outbox)
    assert "reminders created: 0," in call_command_output("send_reminders")


def call_command_output(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()
