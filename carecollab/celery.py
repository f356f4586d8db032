"""The Celery app and its beat schedule. Configuration comes from Django settings
(``CELERY_*``: broker from REDIS_URL, else the filesystem broker under var/; late acks,
time limits; ``BEAT_*_SECONDS`` for the intervals).

The schedule lives here, in code. Beat only enqueues sweeps; each sweep is idempotent
(reminders are unique rows; a delivery claims its row), so a sweep that runs twice,
or two beats started by mistake, send nothing twice. Still, exactly one beat is meant
to run: docker-compose.yml gives it one service with a fixed container name.

Every periodic task expires before its next run: when the workers are down, Redis
does not pile up sweeps that would all run at once when they come back.
"""

import os
from pathlib import Path

from celery import Celery
from celery.schedules import crontab
from celery.signals import beat_init
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carecollab.settings")

app = Celery("carecollab")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The embedded broker (kombu's filesystem transport) needs its folders to exist.
if settings.CELERY_BROKER_URL.startswith("filesystem://"):
    for option in ("data_folder_in", "data_folder_out", "control_folder"):
        Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS[option]).mkdir(parents=True, exist_ok=True)


def every(seconds: int) -> dict:
    """A periodic entry's timing: its interval, and an expiry just before the next run."""
    return {"schedule": seconds, "options": {"expires": seconds * 0.9}}


BEAT_SCHEDULE = {
    # Create the reminders due today, resolve those acted on, enqueue their delivery.
    "reminders-sweep": {
        "task": "messaging.sweep_reminders",
        **every(settings.BEAT_SWEEP_SECONDS),
    },
    # Deliver what was never delivered: rows stuck in "sending" (a worker died), rows
    # never enqueued (Redis was down), e-mails that never went.
    "reminders-redeliver": {
        "task": "messaging.redeliver_reminders",
        **every(settings.BEAT_REDELIVER_SECONDS),
    },
    # Expire releases past their date and resync grants (reads are already refused at
    # the expiry instant by the gate's read-time check; this tidies the index).
    "releases-sweep": {
        "task": "releases.sweep_releases",
        **every(settings.BEAT_SWEEP_SECONDS),
    },
    # Escalate safety alerts not acknowledged within their clinic's window.
    "alerts-escalate": {
        "task": "alerts.escalate_alerts",
        **every(settings.BEAT_ALERTS_SECONDS),
    },
    # Planned titration and taper steps take effect on their dates (once each: a claim),
    # early in the day so the day's step is in effect before the clinic opens; a day
    # missed (beat down) is caught up by the next run or when beat starts.
    "planned-steps": {
        "task": "medications.planned_steps_take_effect",
        "schedule": crontab(hour=0, minute=10),
        "options": {"expires": 23 * 3600},
    },
}

app.conf.beat_schedule = BEAT_SCHEDULE


@beat_init.connect
def sweep_when_beat_starts(sender=None, **kwargs) -> None:
    """Enqueue every sweep once as beat starts, so a laptop that just started (or a
    deployment that was down) does not wait a whole interval for what is already due;
    the sweeps are idempotent, so an extra run sends nothing twice."""
    for entry in BEAT_SCHEDULE.values():
        app.send_task(entry["task"], **entry.get("options", {}))
