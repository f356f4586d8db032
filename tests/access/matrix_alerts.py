"""Safety alerts and their acknowledgements in the access matrix.

An alert is read by exactly those who may read its source (here a PHQ-9 with a positive
item 9, written by the persona); an acknowledgement by those who may read what its
author writes. Their markers are the attributes every page that shows them carries.
"""

from django.utils import timezone

from alerts import services
from assessments import services as assessment_services
from cases.categories import Category

from .table import Kind, Url


def raise_alert(world, clinician, shared):
    assessment = assessment_services.assessment_record(
        case=world.case,
        administered_by=clinician.user,
        scale_code="PHQ-9",
        answers=[1, 1, 1, 1, 1, 1, 0, 0, 1],
        given_on=timezone.localdate(),
        shared=shared,
    )
    return assessment.safety_alert


def build_alert(world, clinician, shared):
    alert = raise_alert(world, clinician, shared)
    return alert, f'data-alert="{alert.pk}"'


def build_acknowledgement(world, clinician, shared):
    alert = raise_alert(world, clinician, shared)
    ack = services.alert_acknowledge(
        alert=alert, by=clinician.user, action="seen", note="Seen in session today"
    )
    return ack, f'data-acknowledgement="{ack.pk}"'


KINDS = {
    "safety_alert": Kind(category=Category.ASSESSMENTS, build=build_alert),
    "alert_acknowledgement": Kind(category=Category.ASSESSMENTS, build=build_acknowledgement),
}


def patient(w, o):
    return [w.patient.pk]


URLS = [
    Url("alerts:detail", "safety_alert", "detail", lambda w, o: [o.pk]),
    Url("cases:patient_detail", "safety_alert", "list", patient),
    Url("alerts:detail", "alert_acknowledgement", "detail", lambda w, o: [o.alert_id]),
    Url("cases:patient_detail", "alert_acknowledgement", "list", patient),
]

NOT_PHI: dict = {}
