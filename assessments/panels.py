"""The assessments app's parts of other pages (cases.extensions): the trend panel on the
patient page, and the not-improving list on the prescriber's review page and home page."""

from __future__ import annotations

from cases.extensions import Panel
from cases.models import Clinician
from releases import gate

from . import scales, selectors


def _clinician_role(request) -> str:
    clinician = getattr(request.user, "clinician", None)
    return clinician.role if clinician is not None and request.user.is_active else ""


def trend_panel(request, patient) -> Panel | None:
    """Each scale's chart with the medication changes, and the buttons to give a scale."""
    if _clinician_role(request) not in (Clinician.Role.PRESCRIBER, Clinician.Role.THERAPIST):
        return None
    found = selectors.trends_of_patient(request.user, patient)
    # The assessments are on the page's timeline too, whose reads the patient page
    # records; the medication changes drawn here are recorded here.
    gate.record_reads(request.user, found.changes)
    return Panel(
        template="assessments/_panel_trend.html",
        context={"patient": patient, "trends": found.trends, "scales": scales.all_scales()},
        order=15,  # right after the medications: "did the change move the score"
    )


def preview_scores_panel(request, patient) -> Panel | None:
    """The latest score of each scale with the few before it (a small trend), beside an
    observation under review."""
    if _clinician_role(request) not in (Clinician.Role.PRESCRIBER, Clinician.Role.THERAPIST):
        return None
    latest = selectors.latest_scores(request.user, patient)
    gate.record_reads(request.user, [row for scale in latest for row in scale.assessments])
    return Panel("assessments/_preview_panel.html", {"latest": latest}, order=20)


def _not_improving_rows(request) -> list[selectors.NotImproving] | None:
    if _clinician_role(request) != Clinician.Role.PRESCRIBER:
        return None
    rows = selectors.patients_not_improving(request.user)
    gate.record_reads(request.user, [obj for row in rows for obj in row.objects_read])
    return rows


def not_improving_panel(request) -> Panel | None:
    """'Consider a change': the prescriber's patients not improving 8-12 weeks after a change."""
    rows = _not_improving_rows(request)
    if rows is None:
        return None
    return Panel(template="assessments/_panel_not_improving.html", context={"rows": rows}, order=30)


def not_improving_home_panel(request) -> Panel | None:
    """The same patients, named on the prescriber's home page (only when there are some)."""
    rows = _not_improving_rows(request)
    if not rows:
        return None
    return Panel(template="assessments/_home_not_improving.html", context={"rows": rows}, order=15)
