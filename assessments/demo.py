"""Demo data of the assessments app (synthetic): PHQ-9 and GAD-7 series that tell three
stories on the demo patients' pages.

- **Response after a dose increase**: scores hold high on the starting dose, then fall
  by more than half after the increase.
- **Non-responder**: 8-12 weeks after their latest medication change the scores have
  barely moved, so the prescriber's review page lists the patient ("consider a change").
- **Positive PHQ-9 item 9**: the latest PHQ-9 raises the urgent flag to the care team.

The medications step runs first. Its changes are used when they fit a story (an
increase at least six weeks old; a change 8-12 weeks old); when none fits, a medication
and its changes are written here through ``medications.services``, on a demo patient
with no active medication. Runs once: a second run finds the series and does nothing.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from medications import services as medication_services
from medications.models import Medication, MedicationChange

from . import scales, services, trends
from .models import Assessment

# Patients of the shared demo care team with a long-running active release (Emery's
# release runs out within weeks, so Emery tells no story).
CANDIDATES = ("alex", "blair", "casey", "drew")
RESPONSE_MIN_DAYS = 42
RESPONSE_MAX_DAYS = 180

# Scores around the change: before it (the last one is the baseline, on the change day)
# and every two weeks after it.
RESPONDER = {
    "PHQ-9": ([16, 17, 18, 19], [17, 13, 10, 8, 6, 5, 5, 4]),
    "GAD-7": ([13, 14, 15, 15], [14, 11, 8, 6, 5, 4, 4, 4]),
}
NON_RESPONDER = {
    "PHQ-9": ([15, 16], [16, 15, 15, 14, 15, 16]),
    "GAD-7": ([12, 12], [12, 11, 12, 12, 11, 12]),
}


def _answers_for(scale: scales.Scale, total: int, *, safety: bool = False) -> list[int]:
    """Deterministic answers summing to ``total``; safety items 0, or 1 when ``safety``."""
    answers = [0] * len(scale.items)
    safety_numbers = set(scale.safety_items)
    if safety:
        for number in safety_numbers:
            answers[number - 1] = 1
    remaining = total - sum(answers)
    top = max(scale.option_values)
    others = [i for i in range(len(answers)) if i + 1 not in safety_numbers]
    if not 0 <= remaining <= top * len(others):
        raise ValueError(f"{scale.code}: no answers sum to {total}.")
    while remaining > 0:
        for index in others:
            if remaining and answers[index] < top:
                answers[index] += 1
                remaining -= 1
    return answers


def _latest_treatment_change(patient, today) -> MedicationChange | None:
    return (
        MedicationChange.objects.in_effect()
        .filter(
            medication__patient=patient,
            kind__in=trends.TREATMENT_KINDS,
            effective_on__lte=today,
        )
        .order_by("-effective_on", "-created_at")
        .first()
    )


def _has_active_medication(patient) -> bool:
    return Medication.objects.filter(patient=patient, status=Medication.Status.ACTIVE).exists()


def _start(context, patient, *, name, strength, started_on) -> Medication:
    prescriber = context["clinicians"]["prescriber"].user
    return medication_services.medication_start(
        patient=patient,
        author=prescriber,
        name=name,
        strength=strength,
        directions="1 tablet in the morning",
        frequency="once daily",
        quantity=30,
        days_supply=30,
        refills_left=2,
        start_date=started_on,
        filled_on=started_on,
        reason="Synthetic demo: start of treatment.",
    )


def _pick_responder(context, today, taken: set[str]) -> tuple[str, dt.date] | None:
    """A patient whose latest change is a dose increase six weeks to six months old; else
    one with no active medication, given a start and an increase here."""
    patients = context["patients"]
    for key in CANDIDATES:
        change = _latest_treatment_change(patients[key], today)
        if (
            change is not None
            and change.kind == MedicationChange.Kind.INCREASE
            and RESPONSE_MIN_DAYS <= (today - change.effective_on).days <= RESPONSE_MAX_DAYS
        ):
            return key, change.effective_on
    for key in CANDIDATES:
        if key in taken or _has_active_medication(patients[key]):
            continue
        increased_on = today - dt.timedelta(days=105)
        medication = _start(
            context,
            patients[key],
            name="Escitalopram",
            strength="10 mg",
            started_on=increased_on - dt.timedelta(days=70),
        )
        medication_services.medication_change_dose(
            medication=medication,
            author=context["clinicians"]["prescriber"].user,
            kind=MedicationChange.Kind.INCREASE,
            strength="20 mg",
            directions="1 tablet (20 mg) in the morning",
            effective_on=increased_on,
            reason="Synthetic demo: partial benefit at 10 mg after ten weeks.",
        )
        return key, increased_on
    return None


def _pick_non_responder(context, today, taken: set[str]) -> tuple[str, dt.date] | None:
    """A patient whose latest change is 8-12 weeks old (the nearest to ten weeks, so the
    demo keeps showing them for a while); else one with no active medication, given a
    start nine weeks ago here."""
    patients = context["patients"]
    in_window = []
    for key in CANDIDATES:
        if key in taken:
            continue
        change = _latest_treatment_change(patients[key], today)
        if change is not None and trends.in_review_window(change.effective_on, today):
            in_window.append((abs((today - change.effective_on).days - 70), key, change))
    if in_window:
        _, key, change = min(in_window)
        return key, change.effective_on
    for key in CANDIDATES:
        if key in taken or _has_active_medication(patients[key]):
            continue
        started_on = today - dt.timedelta(days=63)
        _start(
            context, patients[key], name="Bupropion XL", strength="150 mg", started_on=started_on
        )
        return key, started_on
    return None


def _series(context, key, changed_on, story, today) -> None:
    therapist = context["clinicians"]["therapist"].user
    case = context["cases"][key]
    for code, (before, after) in story.items():
        scale = scales.get_scale(code)
        dated = [
            (changed_on - dt.timedelta(days=14 * (len(before) - 1 - i)), total)
            for i, total in enumerate(before)
        ]
        dated += [(changed_on + dt.timedelta(days=14 * (i + 1)), t) for i, t in enumerate(after)]
        for given_on, total in dated:
            if given_on >= today:
                break
            services.assessment_record(
                case=case,
                administered_by=therapist,
                scale_code=code,
                answers=_answers_for(scale, total),
                given_on=given_on,
            )


def _safety_story(context, key, today) -> None:
    therapist = context["clinicians"]["therapist"].user
    case = context["cases"][key]
    phq9, gad7 = scales.get_scale("PHQ-9"), scales.get_scale("GAD-7")
    for days_ago, total in ((35, 12), (21, 13)):
        services.assessment_record(
            case=case,
            administered_by=therapist,
            scale_code=phq9.code,
            answers=_answers_for(phq9, total),
            given_on=today - dt.timedelta(days=days_ago),
        )
    services.assessment_record(
        case=case,
        administered_by=therapist,
        scale_code=gad7.code,
        answers=_answers_for(gad7, 9),
        given_on=today - dt.timedelta(days=21),
    )
    # The urgent flag goes to the demo prescriber and therapist.
    services.assessment_record(
        case=case,
        administered_by=therapist,
        scale_code=phq9.code,
        answers=_answers_for(phq9, 15, safety=True),
        given_on=today - dt.timedelta(days=4),
    )


def seed(context: dict) -> None:
    """PHQ-9 and GAD-7 series: a responder, a non-responder and a positive item 9 (once)."""
    patients = context["patients"]
    if Assessment.objects.filter(case__patient__in=list(patients.values())).exists():
        return
    today = timezone.localdate()
    taken: set[str] = set()
    responder = _pick_responder(context, today, taken)
    if responder:
        taken.add(responder[0])
        _series(context, *responder, RESPONDER, today)
    non_responder = _pick_non_responder(context, today, taken)
    if non_responder:
        taken.add(non_responder[0])
        _series(context, *non_responder, NON_RESPONDER, today)
    safety_key = next(key for key in CANDIDATES if key not in taken)
    _safety_story(context, safety_key, today)
    context["assessment_stories"] = {
        "responder": responder[0] if responder else None,
        "non_responder": non_responder[0] if non_responder else None,
        "safety": safety_key,
    }
