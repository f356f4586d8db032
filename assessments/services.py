"""Writes to assessments: recording a scale, and the urgent safety flag."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from cases.models import CareTeamMember, Case
from notifications.models import Notification
from notifications.services import notify
from releases import gate

from . import scales
from .models import Assessment

# The notification says that something urgent waits and links to it; no patient, no
# score, no item text (it may also leave as an e-mail).
SAFETY_TEXT = "Urgent: an assessment has a positive safety answer. Please review it today."


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


def safety_recipients(assessment: Assessment) -> list:
    """The prescribers and therapists of the patient's care team who may read the
    assessment now (its author always may). A clinician without a covering release is
    not told: the notification itself would disclose that something is wrong."""
    User = get_user_model()
    members = CareTeamMember.objects.reminding().filter(
        case__patient_id=assessment.case.patient_id,
        role_on_case__in=[
            CareTeamMember.RoleOnCase.PRESCRIBER,
            CareTeamMember.RoleOnCase.THERAPIST,
        ],
    )
    team = User.objects.filter(is_active=True, clinician__memberships__in=members).distinct()
    return [user for user in team.order_by("pk") if gate.can_read(user, assessment)]


@transaction.atomic
def assessment_flag_safety(*, assessment: Assessment) -> list[Notification]:
    """Raise the urgent flag to the care team (once per assessment and person)."""
    if not assessment.safety_flag:
        return []
    return [
        notify(
            recipient=user,
            kind=Notification.Kind.URGENT,
            text=SAFETY_TEXT,
            url=assessment.get_absolute_url(),
            key=f"item9:{assessment.pk}",
        )
        for user in safety_recipients(assessment)
    ]
