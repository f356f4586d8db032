"""Home panels of referrals. They show patient names, counts and dates, never the
referral's text, so they record no reads; each list is read through the gate and opens
on a page that records its reads."""

from __future__ import annotations

from cases.extensions import Panel
from cases.models import Clinician

from . import selectors

SHOWN = 5


def _clinician(request) -> Clinician | None:
    user = request.user
    return getattr(user, "clinician", None) if user.is_authenticated else None


def referrals_panel(request) -> Panel | None:
    """A prescriber's referrals to decide; a therapist's referrals still pending."""
    clinician = _clinician(request)
    if clinician is None or clinician.is_clinic_admin:
        return None
    visible = selectors.referrals_visible_to(request.user).filter(status="pending")
    if clinician.is_prescriber:
        to_decide = list(visible.filter(to_prescriber=clinician)[: SHOWN + 1])
        awaiting = selectors.referrals_awaiting_release_for(request.user).count()
        if not to_decide and not awaiting:
            return None
        context = {"referrals": to_decide[:SHOWN], "more": len(to_decide) > SHOWN}
        context.update(awaiting=awaiting, prescriber=True)
    else:
        mine = list(visible.filter(referred_by=request.user)[: SHOWN + 1])
        if not mine:
            return None
        context = {"referrals": mine[:SHOWN], "more": len(mine) > SHOWN, "prescriber": False}
    return Panel("referrals/_panel_referrals.html", context, order=12)


def referrals_waiting_panel(request) -> Panel | None:
    """For the clinic admin: referrals no active release covers yet (no clinical text)."""
    clinician = _clinician(request)
    if clinician is None or not clinician.is_clinic_admin:
        return None
    waiting = selectors.referrals_waiting_for_release(clinician.clinic_id)
    context = {"referrals": waiting[:SHOWN], "count": len(waiting)}
    return Panel("referrals/_panel_referrals_waiting.html", context, order=5)
