"""The scales are data: exact items and options, and scoring at every band edge."""

import pytest

from assessments import scales, services
from assessments.models import Assessment

from .kit import answers_for

pytestmark = pytest.mark.django_db

# The published bands, written out here (not read from the data they check).
PHQ9_EDGES = [
    (0, "Minimal"),
    (4, "Minimal"),
    (5, "Mild"),
    (9, "Mild"),
    (10, "Moderate"),
    (14, "Moderate"),
    (15, "Moderately severe"),
    (19, "Moderately severe"),
    (20, "Severe"),
    (27, "Severe"),
]
GAD7_EDGES = [
    (0, "Minimal"),
    (4, "Minimal"),
    (5, "Mild"),
    (9, "Mild"),
    (10, "Moderate"),
    (14, "Moderate"),
    (15, "Severe"),
    (21, "Severe"),
]


def test_the_two_scales_have_their_exact_items_options_and_stems():
    phq9, gad7 = scales.get_scale("PHQ-9"), scales.get_scale("GAD-7")
    assert len(phq9.items) == 9 and len(gad7.items) == 7
    assert phq9.items[0] == "Little interest or pleasure in doing things"
    assert phq9.items[8] == (
        "Thoughts that you would be better off dead or of hurting yourself in some way"
    )
    assert gad7.items[0] == "Feeling nervous, anxious or on edge"
    assert gad7.items[6] == "Feeling afraid as if something awful might happen"
    expected_options = (
        (0, "Not at all"),
        (1, "Several days"),
        (2, "More than half the days"),
        (3, "Nearly every day"),
    )
    assert phq9.options == expected_options and gad7.options == expected_options
    assert phq9.stem == (
        "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
    )
    assert phq9.max_total == 27 and gad7.max_total == 21
    assert phq9.safety_items == (9,) and gad7.safety_items == ()


@pytest.mark.parametrize(("total", "band"), PHQ9_EDGES)
def test_phq9_total_and_band_at_each_edge(world, total, band):
    assessment = services.assessment_record(
        case=world.case,
        administered_by=world.author.user,
        scale_code="PHQ-9",
        answers=answers_for("PHQ-9", total, item9=min(total, 3) if total == 27 else 0),
    )
    assessment.refresh_from_db()
    assert (assessment.total, assessment.band) == (total, band)


@pytest.mark.parametrize(("total", "band"), GAD7_EDGES)
def test_gad7_total_and_band_at_each_edge(world, total, band):
    assessment = services.assessment_record(
        case=world.case,
        administered_by=world.author.user,
        scale_code="GAD-7",
        answers=answers_for("GAD-7", total),
    )
    assert (assessment.total, assessment.band) == (total, band)
    assert assessment.safety_flag is False


@pytest.mark.parametrize(("item9", "flag"), [(0, False), (1, True), (2, True), (3, True)])
def test_phq9_item_9_above_not_at_all_is_the_safety_flag(world, item9, flag):
    assessment = services.assessment_record(
        case=world.case,
        administered_by=world.author.user,
        scale_code="PHQ-9",
        answers=answers_for("PHQ-9", 6 + item9, item9=item9),
    )
    assert assessment.safety_flag is flag


def test_the_total_is_the_sum_of_the_answers_whatever_their_order(world):
    assessment = services.assessment_record(
        case=world.case,
        administered_by=world.author.user,
        scale_code="PHQ-9",
        answers=[3, 0, 2, 1, 0, 3, 0, 1, 0],
    )
    assert assessment.total == 10 and assessment.band == "Moderate"
    assert assessment.answers == [3, 0, 2, 1, 0, 3, 0, 1, 0]


def test_a_band_table_with_a_gap_is_refused_when_the_scale_is_built():
    data = {**scales.SCALE_DATA[1], "code": "BROKEN", "bands": [(0, 4, "Low"), (6, 21, "High")]}
    with pytest.raises(ValueError, match="without gaps"):
        scales._build(data)


def test_another_scale_is_one_entry_of_data(world, monkeypatch, client):
    """A new summed scale needs no code: the service scores it and the form asks it."""
    extra = {
        "code": "TEST-3",
        "name": "TEST-3",
        "title": "A three-item test scale",
        "stem": "In the last week:",
        "items": ["First", "Second", "Third"],
        "options": [(0, "No"), (1, "Yes")],
        "bands": [(0, 1, "Low"), (2, 3, "High")],
        "safety_items": [3],
        "remission_below": 2,
    }
    monkeypatch.setattr(scales, "SCALE_DATA", [*scales.SCALE_DATA, extra])
    scales._registry.cache_clear()
    try:
        assessment = services.assessment_record(
            case=world.case,
            administered_by=world.author.user,
            scale_code="TEST-3",
            answers=[1, 1, 0],
        )
        assert (assessment.total, assessment.band, assessment.safety_flag) == (2, "High", False)
        client.force_login(world.author.user)
        page = client.get(f"/assessments/patients/{world.patient.pk}/give/TEST-3/")
        assert page.status_code == 200
        assert "3. Third" in page.content.decode()
        assert Assessment.objects.filter(scale="TEST-3").count() == 1
    finally:
        monkeypatch.undo()
        scales._registry.cache_clear()
