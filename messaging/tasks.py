"""Celery tasks of messaging: thin adapters that take ids and call the reminder services.

Delivery tasks acknowledge late and are rejected back to the queue when their worker is
lost (``task_acks_late`` / ``task_reject_on_worker_lost`` in settings, repeated here), so
a task may run twice: the services make that harmless (a conditional claim, a unique
notification key, a claimed e-mail). Retries back off exponentially and never wait
longer than a few minutes, far inside Redis's visibility timeout (1 h): no task is ever
parked in Redis with a long countdown; what waits long waits as a database row.

Enqueueing never raises: :func:`enqueue_many` logs a broker failure (ids and the error
class only) and stops, leaving the rows for the next sweep. Callers enqueue after their
transaction commits (``transaction.on_commit``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from celery import Task, shared_task

from carecollab.celery import app

from . import reminders

logger = logging.getLogger("carecollab.reminders")

# Publishing gives up fast when Redis is away: a web request or a sweep must not hang.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0.2, "interval_step": 0.2}
# After a publish failure this process skips publishing for a while, rather than make
# every caller wait for its own failure; the rows wait for the next sweep.
BROKER_BACKOFF_SECONDS = 30.0
_broker_down_until = 0.0

DELIVERY = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (Exception,),
    "max_retries": 5,
    "retry_backoff": 5,  # 5 s, 10 s, 20 s, ... (with jitter)
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "ignore_result": True,
}
SWEEP = {"acks_late": True, "ignore_result": True, "soft_time_limit": 240, "time_limit": 300}


def enqueue_many(task: Task, ids: Iterable[int]) -> int:
    """Enqueue ``task(id)`` for each id; returns how many were handed over.

    Never raises. With a broker, the first publish error stops the loop (Redis is down:
    the next sweep delivers the rest) and publishing pauses for BROKER_BACKOFF_SECONDS.
    Eagerly (no broker), a task's own error is logged and the loop goes on.
    """
    global _broker_down_until
    sent = 0
    ids = list(ids)
    if ids and not app.conf.task_always_eager and time.monotonic() < _broker_down_until:
        logger.info("broker unavailable: %s %s left for the next sweep", len(ids), task.name)
        return 0
    for position, pk in enumerate(ids):
        try:
            task.apply_async(args=[pk], retry=True, retry_policy=PUBLISH_RETRY_POLICY)
        except Exception as error:
            if app.conf.task_always_eager:
                logger.warning("%s(%s) failed: %s", task.name, pk, type(error).__name__)
                continue
            logger.warning(
                "could not enqueue %s(%s): %s; %s left for the next sweep",
                task.name,
                pk,
                type(error).__name__,
                len(ids) - position,
            )
            _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
            break
        sent += 1
    return sent


@shared_task(name="messaging.sweep_reminders", **SWEEP)
def sweep_reminders() -> dict:
    """Beat: create the reminders due today, resolve stale ones, enqueue deliveries."""
    return reminders.reminders_sweep()


@shared_task(name="messaging.redeliver_reminders", **SWEEP)
def redeliver_reminders() -> dict:
    """Beat: hand out again what was never delivered (stuck, never enqueued, no e-mail)."""
    return reminders.reminders_redeliver()


@shared_task(name="messaging.deliver_reminder", soft_time_limit=30, time_limit=60, **DELIVERY)
def deliver_reminder(reminder_id: int) -> bool:
    """Deliver one reminder in the app (its e-mail follows through the channel)."""
    return reminders.reminder_deliver(reminder_id=reminder_id)


@shared_task(name="messaging.send_reminder_email", soft_time_limit=45, time_limit=60, **DELIVERY)
def send_reminder_email(notification_id: int) -> bool:
    """Send the e-mail of one reminder notification, exactly once."""
    return reminders.reminder_email_send(notification_id=notification_id)
