"""Home and patient-page panels of the messaging app.

Panels show patient names, counts and dates, never message text, so they record no
reads; each list is read through the gate and opens on a page that records its reads.
"""

from __future__ import annotations

from django.utils import timezone

from cases.extensions import Panel
from cases.models import CareTeamMember, Case, Clinician

from . import selectors

Role = Clinician.Role
SHOWN = 5


def _clinician(request) -> Clinician | None:
    user = request.user
    return getattr(user, "clinician", None) if user.is_authenticated else None


def questions_panel(request) -> Panel | None:
    """Consult questions waiting for the user, oldest first (always for a prescriber)."""
    clinician = _clinician(request)
    if clinician is None or clinician.is_clinic_admin:
        return None
    waiting = list(selectors.questions_waiting_for(request.user)[: SHOWN + 1])
    if not waiting and not clinician.is_prescriber:
        return None
    context = {"questions": waiting[:SHOWN], "more": len(waiting) > SHOWN, "now": timezone.now()}
    return Panel("messaging/_panel_questions.html", context, order=10)


def conferences_panel(request) -> Panel | None:
    """Requested and scheduled case conferences, soonest first."""
    clinician = _clinician(request)
    if clinician is None or clinician.is_clinic_admin:
        return None
    upcoming = selectors.upcoming_conferences(request.user)
    if not upcoming:
        return None
    context = {"conferences": upcoming[:SHOWN], "more": len(upcoming) > SHOWN}
    return Panel("messaging/_panel_conferences.html", context, order=14)


def unread_panel(request) -> Panel | None:
    """Case threads with messages the user has not read."""
    clinician = _clinician(request)
    if clinician is None or clinician.is_clinic_admin:
        return None
    threads = [s for s in selectors.inbox_threads(request.user) if s.unread]
    if not threads:
        return None
    context = {"threads": threads[:SHOWN], "more": len(threads) > SHOWN}
    return Panel("messaging/_panel_unread.html", context, order=11)


def case_thread_panel(request, patient) -> Panel | None:
    """On the patient page: the case thread with its counts, and what to do next."""
    clinician = _clinician(request)
    if clinician is None or clinician.is_clinic_admin:
        return None
    case = (
        Case.objects.filter(
            patient=patient,
            care_team__in=CareTeamMember.objects.reading().filter(clinician__user=request.user),
        )
        .order_by("status", "-opened_on", "-pk")
        .select_related("patient")
        .first()
    )
    if case is None:
        return None
    (summary,) = selectors.thread_summaries(request.user, [case])
    context = {
        "case": case,
        "summary": summary,
        "cannot_write": selectors.why_cannot_write(case, request.user),
        "is_therapist": clinician.is_therapist,
    }
    return Panel("messaging/_panel_case_thread.html", context, order=20)
