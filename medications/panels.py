"""The medications app's parts of other pages (registered in ``apps.py``): the patient
page's medication list, the home pages' caseload and waiting counts, and the open refill
requests on the prescriber's review page. Each reads through the gate and records what
it shows."""

from cases import selectors as case_selectors
from cases.extensions import Panel
from cases.models import Clinician
from releases import gate

from . import selectors
from .models import RefillRequest

Role = Clinician.Role


def _role(request) -> str:
    clinician = getattr(request.user, "clinician", None)
    return clinician.role if clinician and request.user.is_active else ""


def medication_panel(request, patient) -> Panel | None:
    """Current medications of the patient, with what the user may do about each."""
    role = _role(request)
    if role not in (Role.PRESCRIBER, Role.THERAPIST):
        return None
    medications = list(selectors.current_medications(request.user, patient))
    refills = list(
        selectors.refill_requests_visible_to(
            request.user, status=RefillRequest.Status.OPEN, patient=patient
        )
    )
    readable = selectors.attach_readable_medications(request.user, refills)
    planned = selectors.attach_planned_steps(request.user, medications)
    gate.record_reads(request.user, [*medications, *refills, *readable, *planned])
    context = {
        "patient": patient,
        "medications": medications,
        "refills": refills,
        "role": role,
        "can_write": case_selectors.open_case_of_patient(patient) is not None,
    }
    return Panel("medications/_patient_panel.html", context, order=10)


def caseload_panel(request) -> Panel | None:
    """My patients and what is due for each (home page of both clinician roles)."""
    role = _role(request)
    if role not in (Role.PRESCRIBER, Role.THERAPIST):
        return None
    context = {"rows": selectors.caseload(request.user), "role": role}
    return Panel("medications/_caseload_panel.html", context, order=7)


def waiting_panel(request) -> Panel | None:
    """How many observations wait for review and refill requests are open."""
    role = _role(request)
    if role not in (Role.PRESCRIBER, Role.THERAPIST):
        return None
    context = {
        "role": role,
        "review": case_selectors.review_counts(request.user),
        "refills": selectors.refill_counts(request.user),
    }
    return Panel("medications/_waiting_panel.html", context, order=5)


def refill_review_panel(request) -> Panel | None:
    """Open refill requests on the prescriber's review page, late ones first."""
    if _role(request) != Role.PRESCRIBER:
        return None
    refills = list(
        selectors.refill_requests_visible_to(request.user, status=RefillRequest.Status.OPEN)[:100]
    )
    readable = selectors.attach_readable_medications(request.user, refills)
    gate.record_reads(request.user, [*refills, *readable])
    return Panel("medications/_review_refills.html", {"refills": refills}, order=20)
