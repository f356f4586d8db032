"""Demo data of referrals (synthetic): Finley's referral to the prescriber waits for a
release. Created once; running seed_demo again changes nothing."""

from __future__ import annotations

from releases.models import InformationRelease

from . import services
from .models import Referral


def seed(context: dict) -> None:
    """A pending referral for finley, resting on a release that awaits signature."""
    clinicians = context["clinicians"]
    therapist, prescriber = clinicians["therapist"], clinicians["prescriber"]
    finley = context["patients"]["finley"]
    if Referral.objects.filter(patient=finley, referred_by=therapist.user).exists():
        return
    # Finley's release to the prescriber awaits signature, so the referral waits too.
    release = (
        InformationRelease.objects.filter(
            patient=finley, recipient=prescriber, discloser_clinician=therapist
        )
        .order_by("-created_at")
        .first()
    )
    services.referral_create(
        referred_by=therapist.user,
        patient=finley,
        to_prescriber=prescriber,
        reason="Synthetic demo: low mood for three months despite weekly therapy; "
        "please evaluate whether medication could help.",
        urgency=Referral.Urgency.SOON,
        observations="Synthetic demo: sleeps about five hours, early waking, appetite down, "
        "no thoughts of self-harm reported. Open to trying medication.",
        release=release,
    )
