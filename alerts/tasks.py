"""Celery tasks of safety alerts: thin adapters that take ids and call the services."""

from celery import shared_task

from . import services


@shared_task(name="alerts.escalate_alerts", acks_late=True, ignore_result=True, time_limit=300)
def escalate_alerts() -> int:
    """Beat: escalate the open alerts whose window has passed (idempotent)."""
    return services.alerts_escalate()


@shared_task(
    name="alerts.send_escalation_email",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    max_retries=5,
    retry_backoff=5,
    retry_backoff_max=300,
    ignore_result=True,
)
def send_escalation_email(escalation_id: int) -> int:
    """Send one escalation's e-mails (exactly once, claimed in the database)."""
    return services.escalation_email_send(escalation_id=escalation_id)
