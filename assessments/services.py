"""Writes to assessments: recording a scale, and the urgent safety flag."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from cases import services as case_services
from cases.models import CareTeamMember, Case
from releases import gate

from . import scales
from .models import Assessment


def missing_items_message(scale: scales.Scale, missing: Sequence[int]) -> str:
    """'Answer every PHQ-9 item: items 3 and 9 are unanswered ...'."""
    numbers = [str(number) for number in missing]
    listed = numbers[0] if len(numbers) == 1 else ", ".join(numbers[:-1]) + " and " + numbers[-1]
    noun = "item" if len(numbers) == 1 else "items"
    verb = "is" if len(numbers) == 1 else "are"
    return (
        f"Answer every {scale.name} item: {noun} {listed} {verb} unanswered. "
        "An unanswered item is not a zero, so no total can be given yet."
    )


def _answers_in_order(
    scale: scales.Scale, answers: Sequence[int | None] | Mapping[int, int | None]
) -> list[int]:
    """The answers as one list in item order; refuses gaps and values off the scale."""
    if isinstance(answers, Mapping):
        values = [answers.get(number) for number in range(1, len(scale.items) + 1)]
    else:
        values = list(answers)
        if len(values) > len(scale.items):
            raise ValidationError({"answers": f"The {scale.name} has {len(scale.items)} items."})
        values += [None] * (len(scale.items) - len(values))
    missing = [number for number, value in enumerate(values, 1) if value is None or value == ""]
    if missing:
        raise ValidationError({"answers": missing_items_message(scale, missing)})
    result = []
    for number, value in enumerate(values, 1):
        # bool is an int in Python; True is not an answer.
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or value not in scale.option_values
        ):
            raise ValidationError({"answers": f"Item {number}: choose one of the answers given."})
        result.append(value)
    return result


@transaction.atomic
def assessment_record(
    *,
    case: Case,
    administered_by,
    scale_code: str,
    answers: Sequence[int | None] | Mapping[int, int | None],
    given_on: dt.date | None = None,
    shared: bool = True,
) -> Assessment:
    """Score and save a scale given to the patient; flag a positive safety item at once."""
    writers = CareTeamMember.objects.writing().filter(case=case, clinician__user=administered_by)
    if not writers.exists():
        raise PermissionDenied("Only the case's care team records assessments, while it is open.")
    try:
        scale = scales.get_scale(scale_code)
    except LookupError:
        raise ValidationError({"scale": "Choose a scale CareCollab knows."}) from None
    values = _answers_in_order(scale, answers)
    total = sum(values)
    assessment = Assessment(
        case=case,
        scale=scale.code,
        answers=values,
        total=total,
        band=scale.band_for(total).label,
        safety_flag=scale.is_safety_positive(values),
        given_on=given_on or timezone.localdate(),
        administered_by=administered_by,
        shared=shared,
    )
    assessment.full_clean()
    assessment.save()
    if assessment.shared:
        gate.grants_for_new_object(assessment)
    if assessment.safety_flag:
        assessment_flag_safety(assessment=assessment)
    return assessment


@transaction.atomic
def assessment_mark_entered_in_error(*, assessment: Assessment, author, reason: str) -> Assessment:
    """Who gave the assessment marks it entered in error: it stays, struck through, and
    leaves the chart, the bands, the response and remission lines and the not-improving
    list. A safety alert it raised stays what it is (never dismissed)."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if assessment.administered_by_id != author.pk or not author.is_active:
        raise PermissionDenied("Only who gave the assessment marks it entered in error.")
    case_services.mark_entered_in_error(assessment, by=author, reason=reason)
    return assessment


@transaction.atomic
def assessment_flag_safety(*, assessment: Assessment):
    """A positive safety item raises the assessment's safety alert (alerts app), which
    the care team who may read the assessment sees first until it is acknowledged."""
    from alerts.services import alert_raise_for_assessment

    return alert_raise_for_assessment(assessment=assessment)
