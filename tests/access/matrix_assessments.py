"""Assessments (PHQ-9, GAD-7) and their pages in the access matrix.

An assessment has no free text, so its marker is the attribute every page that shows
it carries (chart point, table row, timeline entry, detail card): ``data-assessment``.
"""

from django.utils import timezone

from assessments import services
from cases.categories import Category

from .table import Kind, Url

CARE_TEAM = {"author", "recipient", "colleague", "other_category"}
PRESCRIBERS = {"recipient", "colleague", "other_category"}


def build_assessment(world, clinician, shared):
    obj = services.assessment_record(
        case=world.case,
        administered_by=clinician.user,
        scale_code="PHQ-9",
        answers=[2, 2, 1, 1, 1, 1, 0, 0, 0],
        given_on=timezone.localdate(),
        shared=shared,
    )
    return obj, f'data-assessment="{obj.pk}"'


KINDS = {
    "assessment": Kind(category=Category.ASSESSMENTS, build=build_assessment),
}


def patient(w, o):
    return [w.patient.pk]


URLS = [
    Url("assessments:detail", "assessment", "detail", lambda w, o: [o.pk]),
    Url("assessments:entered_in_error", "assessment", "edit", lambda w, o: [o.pk]),
    Url("assessments:patient_trend", "assessment", "list", patient),
    Url("cases:patient_detail", "assessment", "list", patient),
    Url(
        "assessments:create",
        "assessment",
        "page",
        lambda w, o: [w.patient.pk, "PHQ-9"],
        # Only the care team gives a scale to the patient.
        allowed=lambda persona, state: persona in CARE_TEAM,
    ),
    Url(
        "assessments:not_improving",
        "assessment",
        "page",
        allowed=lambda persona, state: persona in PRESCRIBERS,
    ),
]

NOT_PHI: dict = {}
