"""assessment_record: every item answered, values on the scale, the care team only."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from assessments import services
from assessments.models import Assessment, AssessmentUserObjectPermission
from releases import gate

from .kit import answers_for

pytestmark = pytest.mark.django_db


def record(world, answers, **kwargs):
    kwargs.setdefault("scale_code", "PHQ-9")
    return services.assessment_record(
        case=world.case, administered_by=world.author.user, answers=answers, **kwargs
    )


def test_an_unanswered_item_is_refused_not_counted_as_zero(world):
    answers = [1, 1, None, 1, 1, 1, None, 1, 0]
    with pytest.raises(ValidationError) as refused:
        record(world, answers)
    message = " ".join(refused.value.message_dict["answers"])
    assert "items 3 and 7 are unanswered" in message
    assert "not a zero" in message
    assert not Assessment.objects.exists()


def test_a_short_list_of_answers_names_the_missing_items(world):
    with pytest.raises(ValidationError) as refused:
        record(world, [0, 0, 0, 0, 0], scale_code="GAD-7")
    assert "items 6 and 7 are unanswered" in " ".join(refused.value.message_dict["answers"])


def test_answers_by_item_number_are_accepted_and_gaps_named(world):
    with pytest.raises(ValidationError) as refused:
        record(world, {1: 0, 2: 1, 3: 2, 4: 3, 5: 0, 6: 1}, scale_code="GAD-7")
    assert "item 7 is unanswered" in " ".join(refused.value.message_dict["answers"])
    full = record(world, {1: 0, 2: 1, 3: 2, 4: 3, 5: 0, 6: 1, 7: 2}, scale_code="GAD-7")
    assert (full.total, full.answers) == (9, [0, 1, 2, 3, 0, 1, 2])


@pytest.mark.parametrize("bad", [4, -1, "2", True, 1.5])
def test_a_value_off_the_scale_is_refused(world, bad):
    answers = [0] * 8 + [bad]
    with pytest.raises(ValidationError):
        record(world, answers)
    assert not Assessment.objects.exists()


def test_too_many_answers_are_refused(world):
    with pytest.raises(ValidationError):
        record(world, [0] * 10)


def test_an_unknown_scale_is_refused(world):
    with pytest.raises(ValidationError):
        record(world, [0] * 9, scale_code="BDI-II")


def test_a_future_date_is_refused(world):
    with pytest.raises(ValidationError):
        record(world, [0] * 9, given_on=timezone.localdate() + dt.timedelta(days=1))


def test_only_the_care_team_records(world):
    with pytest.raises(PermissionDenied):
        services.assessment_record(
            case=world.case,
            administered_by=world.other_clinic.user,
            scale_code="PHQ-9",
            answers=[0] * 9,
        )
    with pytest.raises(PermissionDenied):
        services.assessment_record(
            case=world.case,
            administered_by=world.clinic_admin.user,
            scale_code="PHQ-9",
            answers=[0] * 9,
        )


def test_a_shared_assessment_is_granted_under_the_active_release(shared_world):
    world = shared_world
    assessment = record(world, answers_for("PHQ-9", 12))
    assert gate.can_read(world.recipient.user, assessment)
    assert not gate.can_read(world.colleague.user, assessment)
    assert AssessmentUserObjectPermission.objects.filter(
        content_object=assessment, user=world.recipient.user
    ).exists()


def test_a_private_assessment_stays_with_its_author(shared_world):
    world = shared_world
    assessment = record(world, answers_for("PHQ-9", 12), shared=False)
    assert gate.can_read(world.author.user, assessment)
    assert not gate.can_read(world.recipient.user, assessment)
    assert not AssessmentUserObjectPermission.objects.filter(content_object=assessment).exists()


def test_its_string_carries_no_score(world):
    assessment = record(world, answers_for("PHQ-9", 17))
    expected = f"Assessment #{assessment.pk} (PHQ-9) of {assessment.given_on:%Y-%m-%d}"
    assert str(assessment) == expected
