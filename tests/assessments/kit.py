"""Helpers of the assessments tests: give scales, start and change medications, another
patient of the same care team (the personas and ``shared_world`` are tests/conftest.py's)."""

import datetime as dt

from assessments import scales, services
from medications import services as medication_services
from tests.factories import CaseFactory, PatientFactory, on_team
from tests.releasekit import share


def answers_for(scale_code: str, total: int, *, item9: int = 0) -> list[int]:
    """Answers of a scale summing to ``total`` (PHQ-9 item 9 set to ``item9``)."""
    scale = scales.get_scale(scale_code)
    answers = [0] * len(scale.items)
    if scale.code == "PHQ-9":
        answers[8] = item9
    remaining = total - sum(answers)
    free = [i for i in range(len(answers)) if not (scale.code == "PHQ-9" and i == 8)]
    assert 0 <= remaining <= 3 * len(free), "total out of reach"
    while remaining > 0:
        for index in free:
            if remaining and answers[index] < 3:
                answers[index] += 1
                remaining -= 1
    assert sum(answers) == total
    return answers


def give(
    world, total: int, given_on: dt.date, *, scale: str = "PHQ-9", by=None, case=None, **kwargs
):
    """Record a scale with this total through the service (by the therapist by default)."""
    by = by or world.author.user
    return services.assessment_record(
        case=case or world.case,
        administered_by=by,
        scale_code=scale,
        answers=answers_for(scale, total, item9=kwargs.pop("item9", 0)),
        given_on=given_on,
        **kwargs,
    )


def start_medication(
    world, started_on: dt.date, *, name="Testamine", strength="10 mg", patient=None
):
    """The prescriber (``recipient``) starts a medication through the service."""
    return medication_services.medication_start(
        patient=patient or world.patient,
        author=world.recipient.user,
        name=name,
        strength=strength,
        directions="1 tablet daily",
        start_date=started_on,
        # Not in the formulary: its schedule is said (not controlled).
        controlled_schedule="",
    )


def change_dose(world, medication, on: dt.date, strength: str, kind: str = "increase"):
    return medication_services.medication_change_dose(
        medication=medication,
        author=world.recipient.user,
        kind=kind,
        strength=strength,
        directions=f"1 tablet ({strength}) daily",
        effective_on=on,
    )


def another_patient(world):
    """A second patient of the clinic with the same care team and release; returns its case."""
    case = CaseFactory(patient=PatientFactory(clinic=world.clinic))
    on_team(case, world.author, world.recipient, world.colleague, world.other_category)
    share(world, patient=case.patient)
    return case
