"""Demo data of the messaging app (synthetic): a case thread with a few messages, an open
and an answered consult question, a scheduled case conference. Each part is created
once; running seed_demo again changes nothing."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from . import services
from .models import CaseConference, Message


def seed(context: dict) -> None:
    """Thread and questions for alex, a conference for blair."""
    _thread(context)
    _conference(context)


def _thread(context: dict) -> None:
    clinicians = context["clinicians"]
    therapist = clinicians["therapist"].user
    prescriber = clinicians["prescriber"].user
    case = context["cases"]["alex"]
    if Message.objects.filter(case=case).exists():
        return
    from medications.models import Medication

    medication = Medication.objects.filter(patient=case.patient).order_by("pk").first()
    observation = (
        case.observations.filter(author=therapist, shared=True).order_by("-observed_on").first()
    )
    services.message_post(
        case=case,
        author=therapist,
        body="Synthetic demo: Alex told me this week the mornings are hard since the last "
        "dose change. I logged it as an observation.",
        observation=observation,
    )
    services.message_post(
        case=case,
        author=prescriber,
        body="Synthetic demo: thanks. I will look at it before our appointment on Friday.",
        medication=medication,
    )
    answered = services.message_post(
        case=case,
        author=therapist,
        kind=Message.Kind.QUESTION,
        body="Synthetic demo: is it safe for Alex to take the evening dose an hour later "
        "on work nights?",
    )
    services.question_answer(
        question=answered,
        author=prescriber,
        body="Synthetic demo: yes, up to two hours later is fine; keep it consistent.",
    )
    services.message_post(
        case=case,
        author=therapist,
        kind=Message.Kind.QUESTION,
        body="Synthetic demo: Alex asks whether the nausea will pass, or whether we should "
        "consider moving the morning dose to the evening.",
        medication=medication,
    )


def _conference(context: dict) -> None:
    clinicians = context["clinicians"]
    therapist = clinicians["therapist"].user
    prescriber = clinicians["prescriber"].user
    case = context["cases"]["blair"]
    if CaseConference.objects.filter(case=case).exists():
        return
    # Next Tuesday at 12:30, local time.
    today = timezone.localdate()
    day = today + dt.timedelta(days=(1 - today.weekday()) % 7 or 7)
    when = timezone.make_aware(dt.datetime.combine(day, dt.time(12, 30)))
    conference = services.conference_request(
        case=case,
        requested_by=therapist,
        agenda="Synthetic demo: how is our alliance with Blair? Blair skipped two sessions "
        "after the dose change; what would strengthen the alliance, and how does Blair "
        "perceive the pharmacology care?",
        proposed_at=when,
        billing_told=True,
    )
    services.conference_confirm(conference=conference, actor=prescriber)
