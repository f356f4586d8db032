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
REVIEW_REFILLS = 20  # open refill requests shown under the review queue


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


def preview_medication_panel(request, patient) -> Panel | None:
    """The patient's current medications and doses, beside an observation under review."""
    if _role(request) not in (Role.PRESCRIBER, Role.THERAPIST):
        return None
    medications = list(selectors.current_medications(request.user, patient))
    gate.record_reads(request.user, medications)
    return Panel("medications/_preview_panel.html", {"medications": medications}, order=10)


def due_panel(request, patient) -> Panel | None:
    """For the therapist, first on the patient page: what is due for this patient."""
    if _role(request) != Role.THERAPIST:
        return None
    rows = selectors.caseload(request.user, patient=patient)
    if not rows:
        return None
    return Panel("medications/_due_panel.html", {"row": rows[0], "patient": patient}, order=1)


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
    # The most urgent ones (late first) under the queue; the rest on the refill page.
    refills = list(
        selectors.refill_requests_visible_to(request.user, status=RefillRequest.Status.OPEN)[
            : REVIEW_REFILLS + 1
        ]
    )
    more, refills = len(refills) > REVIEW_REFILLS, refills[:REVIEW_REFILLS]
    readable = selectors.attach_readable_medications(request.user, refills)
    gate.record_reads(request.user, [*refills, *readable])
    return Panel("medications/_review_refills.html", {"refills": refills, "more": more}, order=20)
