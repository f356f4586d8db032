"""Writes of reminders: the sweeps (rows first), resolution, and exactly-once delivery
(see the package docstring)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.db import connection, models, transaction
from django.db.models import Case as SqlCase
from django.db.models import F, Q, Value, When
from django.utils import timezone

from notifications.models import Notification
from notifications.services import notifications_mark_read, notify

from ..models import Reminder
from .rules import EVALUATORS, OPEN, Evaluation, patient_id_of
from .texts import reminder_text, reminder_url

logger = logging.getLogger("carecollab.reminders")

Kind = Reminder.Kind
Status = Reminder.Status

# A row in "sending" longer than this belongs to a task that died: deliver it again.
# Longer than the delivery task's hard time limit (messaging.tasks), so a live task is
# never overtaken.
STUCK_AFTER = dt.timedelta(minutes=10)
# After this many claims a delivery that keeps failing is marked failed (it still shows
# on the due panel; the log says why).
MAX_ATTEMPTS = 8
# A reminder sent without its e-mail (its e-mail task was lost) gets it from the
# redelivery sweep after EMAIL_GRACE, for up to EMAIL_WINDOW after it was sent.
EMAIL_GRACE = dt.timedelta(minutes=5)
EMAIL_WINDOW = dt.timedelta(days=1)
# Pending rows younger than this are left to the task enqueued when they were created.
REDELIVER_GRACE = dt.timedelta(minutes=2)

# --- sweeps: rows first -------------------------------------------------------------------


def _apply(evaluation: Evaluation, *, insert: bool = True) -> tuple[int, int]:
    """Insert the due rows that do not exist yet and resolve the open rows of the
    evaluated subjects that are no longer due, in one SQL statement over the
    evaluation's due rows (computed once); returns (new rows, resolved rows).

    The insert skips existing keys (``ON CONFLICT DO NOTHING``, an index probe per due
    row; the table's history is never hashed): a second sweep running at the same moment
    inserts the same keys, the unique constraint keeps one row. The stale rows are found
    by hashing the due keys (``NOT IN``; no key is NULL): a set the size of what is due
    today, and open rows of one kind."""
    due_sql, due_params = evaluation.due_sql()
    scope_sql, scope_params = "", []
    if evaluation.scope is not None:
        scope_sql, scope_params = "AND r.subject_id = ANY(%s)", [sorted(evaluation.scope)]
    insert_sql = """
        INSERT INTO messaging_reminder
            (kind, subject_type, subject_id, due_on, recipient_id, status, attempts, created_at)
        SELECT %s, %s, subject_id, due_on, recipient_id, %s, 0, %s FROM due
        ORDER BY subject_id, due_on, recipient_id
        ON CONFLICT DO NOTHING RETURNING 1
    """
    now = timezone.now()
    # Only this module's SQL and the compiled due query go into the text; values are parameters.
    sql = f"""
        WITH due (subject_id, due_on, recipient_id) AS MATERIALIZED ({due_sql}),
        inserted AS ({insert_sql if insert else "SELECT 1 WHERE false"}),
        stale AS (
            SELECT r.id FROM messaging_reminder r
            WHERE r.kind = %s AND r.subject_type = %s AND r.status = ANY(%s) {scope_sql}
              AND (r.subject_id, r.due_on, r.recipient_id) NOT IN (
                SELECT subject_id, due_on, recipient_id FROM due)
        )
        SELECT (SELECT count(*) FROM inserted), ARRAY(SELECT id FROM stale ORDER BY id)
    """  # noqa: S608
    params = [*due_params]
    if insert:
        params += [evaluation.kind, evaluation.subject_type, Status.PENDING, now]
    params += [evaluation.kind, evaluation.subject_type, list(OPEN), *scope_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        created, stale = cursor.fetchone()
    return created, _mark_resolved(stale)


def _mark_resolved(ids: list[int]) -> int:
    if not ids:
        return 0
    now = timezone.now()
    # Reminders and notifications are not audited records: plain UPDATEs. The in-app
    # notification of a resolved reminder no longer waits: it counts as read.
    count = Reminder.objects.filter(pk__in=ids, status__in=OPEN).update(
        status=Status.RESOLVED, resolved_at=now
    )
    notifications_mark_read(
        notifications=Notification.objects.filter(reminder__pk__in=ids), now=now
    )
    return count


@transaction.atomic
def reminders_sweep(
    *,
    today: dt.date | None = None,
    kinds: Iterable[str] | None = None,
    patient_ids: Iterable[int] | None = None,
) -> dict[str, int]:
    """Create the reminders due today and resolve those no longer due; deliver after commit.

    ``patient_ids`` limits the sweep to some patients (a service that just changed a
    patient's records may call it); by default every patient is swept.
    """
    today = today or timezone.localdate()
    patients = set(patient_ids) if patient_ids is not None else None
    created = resolved = 0
    for kind in kinds or EVALUATORS:
        new, stale = _apply(EVALUATORS[kind](today, patients))
        created += new
        resolved += stale
    pending = list(
        Reminder.objects.filter(status=Status.PENDING)
        .order_by("due_on", "pk")
        .values_list("pk", flat=True)
    )
    transaction.on_commit(lambda: _enqueue_deliveries(pending))
    logger.info(
        "reminder sweep: created=%s resolved=%s pending=%s", created, resolved, len(pending)
    )
    return {"created": created, "resolved": resolved, "pending": len(pending)}


@transaction.atomic
def reminders_resolve_for(subject: models.Model, *, today: dt.date | None = None) -> int:
    """Resolve the open reminders that acting on ``subject`` made no longer due.

    ``subject`` is anything of one patient: an observation just logged, a question just
    answered, a release just activated, a refill request, a medication, a case, the
    patient. Every kind is judged again for that patient, as a sweep would; returns how
    many reminders were resolved. The periodic sweep does the same for everyone.
    """
    today = today or timezone.localdate()
    patients = {patient_id_of(subject)}
    return sum(
        _apply(evaluator(today, patients), insert=False)[1] for evaluator in EVALUATORS.values()
    )


def _enqueue_deliveries(ids: list[int]) -> None:
    from .. import tasks  # tasks import this module

    tasks.enqueue_many(tasks.deliver_reminder, ids)


def _enqueue_emails(notification_ids: list[int]) -> None:
    from .. import tasks

    tasks.enqueue_many(tasks.send_reminder_email, notification_ids)


@transaction.atomic
def reminders_redeliver(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Hand out again what was never delivered: rows stuck in "sending" past STUCK_AFTER
    (their worker died), pending rows never enqueued (Redis was down), and sent
    reminders whose e-mail never went."""
    now = now or timezone.now()
    stuck = list(
        Reminder.objects.filter(
            status=Status.SENDING, claimed_at__lt=now - STUCK_AFTER
        ).values_list("pk", flat=True)
    )
    claimed = Reminder.objects.filter(pk__in=stuck, status=Status.SENDING)
    failed = claimed.filter(attempts__gte=MAX_ATTEMPTS).update(status=Status.FAILED)
    requeued = claimed.update(status=Status.PENDING)
    pending = list(
        Reminder.objects.filter(status=Status.PENDING)
        .filter(Q(created_at__lt=now - REDELIVER_GRACE) | Q(pk__in=stuck))
        .order_by("due_on", "pk")
        .values_list("pk", flat=True)
    )
    emails = list(
        reminders_wanting_email()
        .filter(sent_at__lt=now - EMAIL_GRACE, sent_at__gte=now - EMAIL_WINDOW)
        .values_list("notification_id", flat=True)
    )

    def enqueue() -> None:
        _enqueue_deliveries(pending)
        _enqueue_emails(emails)

    transaction.on_commit(enqueue)
    if failed or requeued:
        logger.warning("reminders stuck in sending: requeued=%s failed=%s", requeued, failed)
    return {"requeued": requeued, "failed": failed, "pending": len(pending), "emails": len(emails)}


# --- delivery: in-app, then e-mail ----------------------------------------------------------


def wants_email(user) -> bool:
    """The recipient asked for reminder e-mails and has an address."""
    clinician = getattr(user, "clinician", None)
    return bool(
        user.is_active and user.email and clinician is not None and clinician.email_reminders
    )


def reminders_wanting_email() -> models.QuerySet[Reminder]:
    """Sent reminders whose recipient wants e-mail and whose e-mail has not gone."""
    return Reminder.objects.filter(
        status=Status.SENT,
        email_sent_at__isnull=True,
        notification__isnull=False,
        recipient__is_active=True,
        recipient__clinician__email_reminders=True,
    ).exclude(recipient__email="")


def reminder_deliver(*, reminder_id: int) -> bool:
    """Deliver one reminder in the app, once: claim it, notify, mark it sent.

    Returns False when there was nothing to claim (delivered, resolved, or being
    delivered by another task). On an error the row goes back to pending for a retry
    (or to failed after MAX_ATTEMPTS claims) and the error is raised.
    """
    now = timezone.now()
    claimed = Reminder.objects.filter(pk=reminder_id, status=Status.PENDING).update(
        status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return False
    try:
        with transaction.atomic():
            reminder = (
                Reminder.objects.select_for_update(of=("self",))
                .select_related("recipient__clinician")
                .get(pk=reminder_id)
            )
            if reminder.status != Status.SENDING:
                return False  # resolved by a sweep since the claim
            headline, _ = reminder_text(reminder.kind)
            notification = notify(
                recipient=reminder.recipient,
                kind=Notification.Kind.REMINDER,
                text=headline,
                url=reminder_url(reminder),
                key=f"reminder:{reminder.pk}",
            )
            reminder.status = Status.SENT
            reminder.sent_at = timezone.now()
            reminder.notification = notification
            reminder.save(update_fields=["status", "sent_at", "notification"])
    except Exception:
        logger.exception("reminder %s: in-app delivery failed", reminder_id)
        _give_back(reminder_id)
        raise
    return True


def _give_back(reminder_id: int) -> None:
    """Return a claimed row to pending for the retry, or to failed after MAX_ATTEMPTS."""
    try:
        Reminder.objects.filter(pk=reminder_id, status=Status.SENDING).update(
            status=SqlCase(
                When(attempts__gte=MAX_ATTEMPTS, then=Value(Status.FAILED)),
                default=Value(Status.PENDING),
            )
        )
    except Exception:
        # The database itself failed: the row stays "sending" and the redelivery sweep
        # hands it out after STUCK_AFTER.
        logger.exception("reminder %s: could not give the row back", reminder_id)


def reminder_email_send(*, notification_id: int) -> bool:
    """Send the e-mail of a reminder's notification, exactly once.

    The claim (``email_sent_at`` set by a conditional UPDATE) and the send happen in one
    transaction: a send that fails rolls the claim back, so a retry sends it; a second
    sender waits on the row lock and then finds it claimed. The one remaining window:
    the SMTP server accepted the message and the process died (or the database went
    away) before COMMIT; the claim rolls back and a retry sends a second copy. The
    stable Message-ID lets mail systems that de-duplicate drop that copy.
    """
    from ..email import reminder_email  # the e-mail module imports this package

    reminder = (
        Reminder.objects.select_related("recipient__clinician")
        .filter(notification_id=notification_id)
        .first()
    )
    if reminder is None or not wants_email(reminder.recipient):
        return False
    with transaction.atomic():
        claimed = Reminder.objects.filter(
            pk=reminder.pk, status=Status.SENT, email_sent_at__isnull=True
        ).update(email_sent_at=timezone.now())
        if not claimed:
            return False
        reminder_email(reminder).send()
    logger.info("reminder %s: e-mail sent", reminder.pk)
    return True
