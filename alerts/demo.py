"""Demo safety alerts (idempotent): Blair's PHQ-9 item 9 alert is raised by the
assessments demo and stays unacknowledged; here one more alert, raised by an
observation about another patient, acknowledged by the prescriber with what was done."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from cases import services as case_services

from . import services
from .models import SafetyAlert

STORY_PATIENT = "drew"


def seed(context: dict) -> None:
    if SafetyAlert.objects.filter(source=SafetyAlert.Source.OBSERVATION).exists():
        return
    case = context["cases"][STORY_PATIENT]
    therapist = context["clinicians"]["therapist"].user
    prescriber = context["clinicians"]["prescriber"].user
    observation = case_services.observation_create(
        case=case,
        author=therapist,
        observed_on=timezone.localdate() - dt.timedelta(days=6),
        adherence="stopped",
        body="Synthetic demo note: stopped the medication three days ago, sleeping badly.",
        needs_attention_today=True,
        attention_reason="Stopped abruptly; dizzy and frightened, asks what to do.",
    )
    services.alert_acknowledge(
        alert=observation.safety_alert,
        by=prescriber,
        action="contacted",
        note="Phoned the patient the same afternoon; restart plan agreed, review next week.",
    )
