"""Celery tasks of medications: thin adapters around the planned-step services.

Beat runs :func:`planned_steps_take_effect` once a day (``carecollab/celery.py``); it
makes every step whose date has come take effect, each by a conditional claim, so a
run that repeats, or one that catches up days the workers were down, writes each
step's change once.
"""

from __future__ import annotations

import logging

from celery import shared_task

from . import services

logger = logging.getLogger("carecollab.medications")


@shared_task(
    name="medications.planned_steps_take_effect",
    acks_late=True,
    ignore_result=True,
    soft_time_limit=240,
    time_limit=300,
)
def planned_steps_take_effect() -> dict:
    """Beat: the planned steps due today (and any missed) take effect, once each."""
    due = services.planned_steps_due()
    applied = sum(services.planned_step_take_effect(step_id=pk) for pk in due)
    # Counts only: no patient, no medication.
    logger.info("planned steps: %s due, %s took effect", len(due), applied)
    return {"due": len(due), "applied": applied}
