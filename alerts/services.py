"""Writes of safety alerts: raising one from its source, acknowledging it, escalating it.

Notifications of an alert say that an urgent alert waits and link to it; they name no
patient and hold no clinical text (they may also leave as e-mail). They are of kind
``urgent``, which the notifications app never lets anyone dismiss or snooze; the
acknowledgement marks them read for everyone.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.timesince import timesince

from assessments.models import Assessment
from cases.categories import Category
from cases.models import CareTeamMember, Observation
from notifications.models import Notification
from notifications.services import notifications_mark_read, notify
from releases import gate

from .models import AlertAcknowledgement, AlertEscalation, SafetyAlert

RAISED_TEXT = "Urgent: a safety alert waits for acknowledgement. Please open it today."


def alert_readers(alert: SafetyAlert) -> list:
    """The prescribers and therapists on the patient's care team who may read the alert
    now (those who may read its source). Nobody else is told: the notification itself
    would disclose that something is wrong."""
    members = CareTeamMember.objects.reminding().filter(
        case__patient_id=alert.patient_id,
        role_on_case__in=[
            CareTeamMember.RoleOnCase.PRESCRIBER,
            CareTeamMember.RoleOnCase.THERAPIST,
        ],
    )
    team = (
        get_user_model()
        .objects.filter(is_active=True, clinician__memberships__in=members)
        .distinct()
        .order_by("pk")
    )
    return [user for user in team if gate.can_read(user, alert)]


def notification_key(alert: SafetyAlert, what: str) -> str:
    return f"alert:{alert.pk}:{what}"


def _notify_readers(alert: SafetyAlert, recipients, *, what: str, text: str) -> list:
    return [
        notify(
            recipient=user,
            kind=Notification.Kind.URGENT,
            text=text,
            url=alert.get_absolute_url(),
            key=notification_key(alert, what),
        )
        for user in recipients
    ]


def _raise(*, record_field: str, record, **fields) -> SafetyAlert:
    existing = SafetyAlert.objects.filter(**{record_field: record}).first()
    if existing is not None:
        return existing  # one alert per source: a retry or an edit raises nothing twice
    alert = SafetyAlert(**{record_field: record}, **fields)
    alert.full_clean()
    alert.save()
    gate.grants_for_new_object(alert)
    _notify_readers(alert, alert_readers(alert), what="raised", text=RAISED_TEXT)
    return alert


@transaction.atomic
def alert_raise_for_assessment(*, assessment: Assessment) -> SafetyAlert | None:
    """A positive safety item (PHQ-9 item 9 above 0) raises the assessment's alert."""
    if not assessment.safety_flag:
        return None
    return _raise(
        record_field="assessment",
        record=assessment,
        source=SafetyAlert.Source.PHQ9_ITEM9,
        case=assessment.case,
        patient_id=assessment.case.patient_id,
        author=assessment.administered_by,
        category=Category.ASSESSMENTS,
        shared=assessment.shared,
        raised_at=timezone.now(),
    )


@transaction.atomic
def alert_raise_for_observation(*, observation: Observation) -> SafetyAlert | None:
    """An observation marked "needs the prescriber's attention today" raises its alert."""
    if not observation.needs_attention_today or not observation.shared:
        return None
    return _raise(
        record_field="observation",
        record=observation,
        source=SafetyAlert.Source.OBSERVATION,
        case=observation.case,
        patient_id=observation.case.patient_id,
        author=observation.author,
        category=observation.category,
        reason=observation.attention_reason,
        raised_at=timezone.now(),
    )


@transaction.atomic
def alert_acknowledge(
    *, alert: SafetyAlert, by, action: str, note: str = ""
) -> AlertAcknowledgement:
    """Record what was done about an alert; it ends the alert for everyone."""
    alert = SafetyAlert.objects.select_for_update().get(pk=alert.pk)
    if not gate.can_read(by, alert):
        raise PermissionDenied("Only a clinician who may read the alert acknowledges it.")
    if alert.acknowledged_at is not None:
        raise ValidationError("This alert was already acknowledged.")
    acknowledgement = AlertAcknowledgement(
        alert=alert,
        acknowledged_by=by,
        category=alert.category,
        shared=alert.shared,
        action=action,
        note=(note or "").strip(),
        acknowledged_at=timezone.now(),
    )
    acknowledgement.full_clean()
    acknowledgement.save()
    alert.acknowledged_at = acknowledgement.acknowledged_at
    alert.save(update_fields=["acknowledged_at"])
    gate.grants_for_new_object(acknowledgement)
    notifications_mark_read(
        notifications=Notification.objects.filter(key__startswith=f"alert:{alert.pk}:")
    )
    return acknowledgement


# --- escalation -------------------------------------------------------------------

ESCALATION_STEPS = 2
# An escalation's e-mail not sent this long after the step was taken is enqueued again.
EMAIL_RETRY_AFTER = dt.timedelta(minutes=10)
ESCALATED_TEXT = "Urgent: a safety alert still waits for acknowledgement (escalated)."


def escalation_recipients(alert: SafetyAlert) -> list:
    """Who an escalation tells: the care team who may read the alert, but its author
    (whose record raised it), and the clinic's on-call clinician."""
    recipients = [user for user in alert_readers(alert) if user.pk != alert.author_id]
    on_call = alert.patient.clinic.on_call_clinician
    told = {user.pk for user in recipients}
    if on_call is not None and on_call.user.is_active and on_call.user_id not in told:
        recipients.append(on_call.user)
    return recipients


@transaction.atomic
def alert_escalate(*, alert: SafetyAlert, step: int) -> AlertEscalation | None:
    """Escalate an open alert to ``step``, exactly once: the step's row is claimed by
    its unique key (a second sweep, beat or worker claims nothing), then its
    recipients are told in the app (keyed) and by e-mail after commit."""
    alert = (
        SafetyAlert.objects.select_for_update().select_related("patient__clinic").get(pk=alert.pk)
    )
    if alert.acknowledged_at is not None:
        return None
    try:
        with transaction.atomic():
            escalation = AlertEscalation.objects.create(alert=alert, step=step)
    except IntegrityError:
        return None
    _notify_readers(
        alert,
        escalation_recipients(alert),
        what=f"escalation:{step}",
        text=ESCALATED_TEXT,
    )
    _email_after_commit([escalation.pk])
    return escalation


def _email_after_commit(escalation_ids: list[int]) -> None:
    from messaging.tasks import enqueue_many

    from . import tasks

    # Never raises (a broker outage leaves the rows for the next sweep).
    transaction.on_commit(lambda: enqueue_many(tasks.send_escalation_email, escalation_ids))


def alerts_escalate(*, now=None) -> int:
    """Escalate every open alert whose window (the clinic's) has passed once or twice
    since it was raised; returns how many steps were taken now."""
    now = now or timezone.now()
    taken = 0
    alerts = (
        SafetyAlert.objects.filter(acknowledged_at__isnull=True)
        .select_related("patient__clinic")
        .annotate(steps_done=Count("escalations"))
        .filter(steps_done__lt=ESCALATION_STEPS)
    )
    for alert in alerts:
        window = dt.timedelta(minutes=alert.patient.clinic.alert_escalation_minutes)
        due = min(ESCALATION_STEPS, int((now - alert.raised_at) / window))
        for step in range(alert.steps_done + 1, due + 1):
            if alert_escalate(alert=alert, step=step) is not None:
                taken += 1
    # E-mails never sent (the broker was down, a worker died): hand them out again.
    unsent = AlertEscalation.objects.filter(
        emailed_at__isnull=True, created_at__lt=now - EMAIL_RETRY_AFTER
    ).values_list("pk", flat=True)
    with transaction.atomic():
        _email_after_commit(list(unsent))
    return taken


def _escalation_email(escalation: AlertEscalation, recipient) -> EmailMessage:
    """The e-mail of one escalation: that an alert waits, and a link. No PHI."""
    context = {
        "link": settings.SITE_URL.rstrip("/") + escalation.alert.get_absolute_url(),
        "waited": timesince(escalation.alert.raised_at, escalation.created_at),
        "site_url": settings.SITE_URL,
    }
    subject = render_to_string("alerts/email/escalation_subject.txt", context)
    return EmailMessage(
        subject=" ".join(subject.split()),
        body=render_to_string("alerts/email/escalation_body.txt", context),
        to=[recipient.email],
        headers={"Auto-Submitted": "auto-generated"},
    )


@transaction.atomic
def escalation_email_send(*, escalation_id: int) -> int:
    """Send an escalation's e-mails, exactly once: the row is locked and claimed in the
    transaction that hands them to SMTP (a failure rolls the claim back for a retry; a
    second sender finds it claimed). Returns how many e-mails went."""
    escalation = (
        AlertEscalation.objects.select_for_update()
        .select_related("alert")
        .filter(pk=escalation_id, emailed_at__isnull=True)
        .first()
    )
    if escalation is None:
        return 0
    keyed = Notification.objects.filter(
        key=notification_key(escalation.alert, f"escalation:{escalation.step}")
    ).select_related("recipient")
    messages = [
        _escalation_email(escalation, notification.recipient)
        for notification in keyed
        if notification.recipient.email
    ]
    if messages:
        get_connection().send_messages(messages)
    escalation.emailed_at = timezone.now()
    escalation.save(update_fields=["emailed_at"])
    return len(messages)
