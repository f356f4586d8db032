"""The Celery app and its beat schedule. Configuration comes from Django settings
(``CELERY_*``: broker from REDIS_URL, eager without it, late acks, time limits).

The schedule lives here, in code. Beat only enqueues sweeps; each sweep is idempotent
(reminders are unique rows; a delivery claims its row), so a sweep that runs twice,
or two beats started by mistake, send nothing twice. Still, exactly one beat is meant
to run: docker-compose.yml gives it one service with a fixed container name.

Every periodic task expires before its next run: when the workers are down, Redis
does not pile up sweeps that would all run at once when they come back.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carecollab.settings")

app = Celery("carecollab")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

MINUTE = 60

BEAT_SCHEDULE = {
    # Create the reminders due today, resolve those acted on, enqueue their delivery.
    "reminders-sweep": {
        "task": "messaging.sweep_reminders",
        "schedule": 15 * MINUTE,
        "options": {"expires": 14 * MINUTE},
    },
    # Deliver what was never delivered: rows stuck in "sending" (a worker died), rows
    # never enqueued (Redis was down), e-mails that never went.
    "reminders-redeliver": {
        "task": "messaging.redeliver_reminders",
        "schedule": 5 * MINUTE,
        "options": {"expires": 4 * MINUTE},
    },
    # Expire releases past their date and resync grants (reads are already refused at
    # the expiry instant by the gate's read-time check; this tidies the index).
    "releases-sweep": {
        "task": "releases.sweep_releases",
        "schedule": 15 * MINUTE,
        "options": {"expires": 14 * MINUTE},
    },
    # Planned titration and taper steps take effect on their dates (once each: a claim).
    # Early in the day, so the day's step is in effect before the clinic opens.
    "planned-steps": {
        "task": "medications.planned_steps_take_effect",
        "schedule": crontab(hour=0, minute=10),
        "options": {"expires": 23 * 60 * MINUTE},
    },
}

app.conf.beat_schedule = BEAT_SCHEDULE
