"""Escalation of safety alerts not acknowledged within the clinic's window (default 2 h):
the care team who may read the alert (but its author) and the clinic's on-call clinician
are told again, in the app and by e-mail without PHI; a second window escalates again;
each step exactly once, whatever runs twice. The clock is frozen (time-machine).

The therapist ``author`` gives the PHQ-9; the prescriber ``recipient`` reads it under
the release; ``colleague`` (a prescriber of the clinic) is on call.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from alerts import services, tasks
from alerts.models import AlertEscalation, SafetyAlert
from notifications.models import Notification
from tests.assessments.kit import give

pytestmark = pytest.mark.django_db

# Within the shared world's release (active from 60 days ago), on the hour.
RAISED = (timezone.now() - dt.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)


@pytest.fixture
def alert(shared_world):
    clinic = shared_world.clinic
    clinic.on_call_clinician = shared_world.colleague
    clinic.save()
    with time_machine.travel(RAISED, tick=False):
        give(shared_world, 14, timezone.localdate(), item9=1)
    return SafetyAlert.objects.get()


def escalations_to(user):
    return Notification.objects.filter(recipient=user, key__contains=":escalation:")


def sweep_at(when, capture):
    with time_machine.travel(when, tick=False), capture(execute=True):
        return tasks.escalate_alerts.delay().get()


def test_nothing_escalates_within_the_window(alert, django_capture_on_commit_callbacks):
    assert sweep_at(RAISED + dt.timedelta(minutes=119), django_capture_on_commit_callbacks) == 0
    assert not AlertEscalation.objects.exists()
    assert not mail.outbox


def test_each_window_escalates_once_to_the_other_readers_and_the_on_call_clinician(
    shared_world, alert, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    assert sweep_at(RAISED + dt.timedelta(hours=2), capture) == 1
    told = {n.recipient.username for n in Notification.objects.filter(key__endswith="escalation:1")}
    assert told == {"recipient", "colleague"}  # not the author, whose record raised it
    assert sorted(m.to[0] for m in mail.outbox) == [
        "colleague@example.invalid",
        "recipient@example.invalid",
    ]
    # Beat again, a second worker, the next sweep in the same window: nothing more.
    assert sweep_at(RAISED + dt.timedelta(hours=2, minutes=5), capture) == 0
    assert sweep_at(RAISED + dt.timedelta(hours=3, minutes=59), capture) == 0
    assert services.alert_escalate(alert=alert, step=1) is None
    assert len(mail.outbox) == 2
    assert escalations_to(shared_world.recipient.user).count() == 1

    assert sweep_at(RAISED + dt.timedelta(hours=4), capture) == 1
    assert escalations_to(shared_world.recipient.user).count() == 2
    assert escalations_to(shared_world.colleague.user).count() == 2
    assert len(mail.outbox) == 4
    # Two steps, then the banner and the notifications stay, but nothing more is sent.
    assert sweep_at(RAISED + dt.timedelta(hours=12), capture) == 0
    assert list(AlertEscalation.objects.values_list("step", flat=True)) == [1, 2]
    assert len(mail.outbox) == 4


def test_a_sweep_that_was_down_takes_both_due_steps_at_once_and_once(
    alert, django_capture_on_commit_callbacks
):
    assert sweep_at(RAISED + dt.timedelta(hours=5), django_capture_on_commit_callbacks) == 2
    assert sweep_at(RAISED + dt.timedelta(hours=5), django_capture_on_commit_callbacks) == 0
    assert AlertEscalation.objects.count() == 2


def test_an_acknowledged_alert_is_not_escalated(
    shared_world, alert, django_capture_on_commit_callbacks
):
    with time_machine.travel(RAISED + dt.timedelta(minutes=30), tick=False):
        services.alert_acknowledge(alert=alert, by=shared_world.recipient.user, action="contacted")
    assert sweep_at(RAISED + dt.timedelta(hours=6), django_capture_on_commit_callbacks) == 0
    assert not escalations_to(shared_world.colleague.user).exists()


def test_the_window_is_the_clinics(shared_world, alert, django_capture_on_commit_callbacks):
    clinic = shared_world.clinic
    clinic.alert_escalation_minutes = 30
    clinic.save()
    assert sweep_at(RAISED + dt.timedelta(minutes=31), django_capture_on_commit_callbacks) == 1


def test_the_escalation_email_names_no_patient_and_holds_no_clinical_text(
    shared_world, django_capture_on_commit_callbacks
):
    from cases import services as case_services

    with time_machine.travel(RAISED, tick=False):
        case_services.observation_create(
            case=shared_world.case,
            author=shared_world.author.user,
            observed_on=timezone.localdate(),
            adherence="stopped",
            needs_attention_today=True,
            attention_reason="Gave away her cat and her medication",
        )
    alert = SafetyAlert.objects.get()
    sweep_at(RAISED + dt.timedelta(hours=2), django_capture_on_commit_callbacks)
    assert mail.outbox
    patient = shared_world.patient
    for message in mail.outbox:
        text = f"{message.subject}\n{message.body}"
        assert "an urgent alert waits for acknowledgement" in text.lower()
        assert f"/alerts/{alert.pk}/" in message.body
        for secret in (patient.family_name, patient.given_name, patient.mrn, "cat", "PHQ"):
            assert secret not in text, secret


def test_the_escalation_email_goes_once_even_when_sent_twice(
    alert, django_capture_on_commit_callbacks
):
    sweep_at(RAISED + dt.timedelta(hours=2), django_capture_on_commit_callbacks)
    escalation = AlertEscalation.objects.get()
    assert services.escalation_email_send(escalation_id=escalation.pk) == 0
    assert len(mail.outbox) == 2


def test_an_unsent_escalation_email_is_sent_by_a_later_sweep(
    alert, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr("messaging.tasks.enqueue_many", lambda task, ids: 0)  # broker down
    sweep_at(RAISED + dt.timedelta(hours=2), django_capture_on_commit_callbacks)
    assert not mail.outbox
    monkeypatch.undo()
    sweep_at(RAISED + dt.timedelta(hours=2, minutes=15), django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2
    assert AlertEscalation.objects.get().emailed_at is not None


def test_the_on_call_clinician_must_be_a_clinician_of_the_clinic(shared_world):
    clinic = shared_world.clinic
    for wrong in (shared_world.other_clinic, shared_world.clinic_admin):
        clinic.on_call_clinician = wrong
        with pytest.raises(ValidationError):
            clinic.full_clean()
    clinic.on_call_clinician = shared_world.colleague
    clinic.alert_escalation_minutes = 2
    with pytest.raises(ValidationError):
        clinic.full_clean()
