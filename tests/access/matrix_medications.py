"""Medications, medication changes and refill requests in the access matrix.

All three are shared PHI of the category "medications" with no private variant (a
medication list is never psychotherapy material), so ``has_private=False``. Builders
write through the services, as the persona's role allows: the author (a therapist)
records a patient-reported medication and asks for refills; the recipient (a
prescriber) prescribes. A prescriber never asks for a refill, so that builder refuses.
"""

import datetime as dt
import uuid

from django.utils import timezone

from cases.categories import Category
from medications import services

from .table import Kind, Url

PRESCRIBERS_ON_TEAM = {"recipient", "colleague", "other_category"}
CLINICIANS = {"author", "recipient", "colleague", "other_category", "other_clinic"}


def _marker(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _prescribe(world, clinician, *, name: str, reason: str = ""):
    medication = services.medication_start(
        patient=world.patient,
        author=clinician.user,
        name=name,
        strength="10 mg",
        directions="1 tablet daily",
        quantity=30,
        days_supply=30,
        refills_left=2,
        filled_on=timezone.localdate(),
        controlled_schedule="",  # a synthetic name is not in the formulary
        reason=reason,
    )
    world.extra.setdefault("prescribed", medication)
    return medication


def _report(world, clinician, *, name: str, reason: str = ""):
    medication = services.medication_report(
        patient=world.patient,
        author=clinician.user,
        name=name,
        strength="5 mg",
        directions="1 at night",
        prescribed_elsewhere_by="Primary care",
        controlled_schedule="",
        reason=reason,
    )
    world.extra.setdefault("reported", medication)
    return medication


def build_medication(world, clinician, shared):
    """The marker is in the medication's name (shown wherever the medication is)."""
    marker = _marker("MED")
    if clinician.is_prescriber:
        return _prescribe(world, clinician, name=f"Synthetic {marker}"), marker
    return _report(world, clinician, name=f"Synthetic {marker}"), marker


def build_change(world, clinician, shared):
    """A START change; the marker is in its reason (the medication is named apart)."""
    marker = _marker("CHG")
    name = f"Synthetic drug {uuid.uuid4().hex[:8]}"
    reason = f"Synthetic {marker}"
    if clinician.is_prescriber:
        medication = _prescribe(world, clinician, name=name, reason=reason)
    else:
        medication = _report(world, clinician, name=name, reason=reason)
    return medication.changes.get(), marker


def build_refill(world, clinician, shared):
    """The therapist asks for a refill of a medication the recipient prescribed (each
    request its own medication: one open request per medication)."""
    if not clinician.is_therapist:
        return None
    marker = _marker("RFL")
    medication = _prescribe(world, world.recipient, name=f"Synthetic drug {uuid.uuid4().hex[:8]}")
    refill = services.refill_request_create(
        medication=medication,
        requested_by=clinician.user,
        needed_by=timezone.localdate() + dt.timedelta(days=5),
        note=f"Synthetic {marker}",
    )
    world.extra.setdefault("refill", refill)
    return refill, marker


def build_planned_step(world, clinician, shared):
    """A prescriber plans one step of a medication they prescribe; the marker is in the
    plan's reason (shown on the timeline and the medication's page)."""
    if not clinician.is_prescriber:
        return None
    marker = _marker("PLN")
    medication = _prescribe(world, clinician, name=f"Synthetic drug {uuid.uuid4().hex[:8]}")
    (step,) = services.medication_plan_steps(
        medication=medication,
        author=clinician.user,
        steps=[
            {
                "planned_on": timezone.localdate() + dt.timedelta(days=7),
                "strength": "20 mg",
                "directions": "1 tablet (20 mg) daily",
            }
        ],
        reason=f"Synthetic {marker}",
    )
    world.extra.setdefault("planned", step)
    return step, marker


KINDS = {
    "planned step": Kind(
        category=Category.MEDICATIONS, build=build_planned_step, has_private=False
    ),
    "medication": Kind(category=Category.MEDICATIONS, build=build_medication, has_private=False),
    "medication change": Kind(category=Category.MEDICATIONS, build=build_change, has_private=False),
    "refill request": Kind(category=Category.MEDICATIONS, build=build_refill, has_private=False),
}


def patient(w, o):
    return [w.patient.pk]


def prescribed(w, o):
    return [w.extra["prescribed"].pk]


def reported(w, o):
    return [w.extra["reported"].pk]


def planned(w, o):
    return [w.extra["planned"].pk]


def refill(w, o):
    return [w.extra["refill"].pk]


def the_prescriber(persona, state):
    # Edits of a prescribed medication are its prescriber's, whatever the release.
    return persona == "recipient"


def the_therapist(persona, state):
    return persona == "author"


def reads_the_refill(persona, state):
    # Handling a refill request: a prescriber who may read it now.
    return persona == "recipient" and state == "active"


def any_clinician(persona, state):
    return persona in CLINICIANS


URLS = [
    # Medication: its page, the lists that name it, the forms that change it.
    Url("medications:detail", "medication", "detail", lambda w, o: [o.pk]),
    Url("medications:patient_history", "medication", "list", patient),
    Url("cases:patient_detail", "medication", "list", patient),
    # The observation form lists the medications an observation may link to.
    Url("cases:observation_create", "medication", "list", patient),
    Url(
        "medications:start",
        "medication",
        "page",
        patient,
        allowed=lambda persona, state: persona in PRESCRIBERS_ON_TEAM,
    ),
    Url("medications:report", "medication", "page", patient, allowed=the_therapist),
    Url("medications:dose", "medication", "page", prescribed, allowed=the_prescriber),
    Url("medications:switch", "medication", "page", prescribed, allowed=the_prescriber),
    Url("medications:fill", "medication", "page", prescribed, allowed=the_prescriber),
    Url("medications:stop", "medication", "page", prescribed, allowed=the_prescriber),
    Url("medications:edit", "medication", "page", reported, allowed=the_therapist),
    Url("medications:plan", "medication", "page", prescribed, allowed=the_prescriber),
    Url("medications:plan_cancel", "medication", "post", prescribed, allowed=the_prescriber),
    # Planned steps: the timeline, the prescriber's change and cancel.
    Url("cases:patient_detail", "planned step", "list", patient),
    Url("medications:step_change", "planned step", "edit", lambda w, o: [o.pk]),
    Url("medications:step_cancel", "planned step", "post", planned, allowed=the_prescriber),
    # Under this one-way release the therapist cannot read the prescriber's medication,
    # so nobody may ask for its refill here (the allowed case is in tests/medications).
    Url(
        "medications:refill_request",
        "medication",
        "page",
        prescribed,
        allowed=lambda persona, state: False,
    ),
    Url("medications:caseload", "medication", "page", allowed=any_clinician),
    # Medication changes: the timeline and the history.
    Url("cases:patient_detail", "medication change", "list", patient),
    Url("medications:patient_history", "medication change", "list", patient),
    Url("medications:review", "medication change", "page", allowed=any_clinician),
    # Marking a change entered in error: its author (or the medication's prescriber).
    Url(
        "medications:change_entered_in_error",
        "medication change",
        "edit",
        lambda w, o: [o.pk],
    ),
    # Refill requests: the list, the patient page's panel, the review page's panel and
    # the prescriber's actions.
    Url("medications:refill_list", "refill request", "list"),
    Url("cases:patient_detail", "refill request", "list", patient),
    Url("medications:review", "refill request", "page", allowed=any_clinician),
    Url("medications:caseload", "refill request", "page", allowed=any_clinician),
    Url("medications:refill_decline", "refill request", "page", refill, allowed=reads_the_refill),
    Url("medications:refill_send", "refill request", "post", refill, allowed=reads_the_refill),
]

NOT_PHI: dict = {}
