"""Referrals in the access matrix: shared PHI of the category "messages", written by a
therapist and addressed to a prescriber, who reads it under an active release before
joining the care team (the gate's addressee option)."""

import uuid

from cases.categories import Category
from referrals import services
from referrals.models import Referral

from .table import OBJECTS, Kind, Url


def build_referral(world, clinician, shared):
    """A therapist's referral to the recipient (prescribers do not refer)."""
    if not clinician.is_therapist:
        return None
    marker = f"REF-{uuid.uuid4().hex[:10]}"
    # One pending referral per patient and prescriber: the earlier one is withdrawn.
    for pending in Referral.objects.filter(
        patient=world.patient, to_prescriber=world.recipient, status=Referral.Status.PENDING
    ):
        services.referral_withdraw(referral=pending, actor=pending.referred_by)
    referral = services.referral_create(
        referred_by=clinician.user,
        patient=world.patient,
        to_prescriber=world.recipient,
        reason=f"Synthetic {marker}",
        observations="Synthetic observations",
    )
    world.extra.setdefault("referral", referral)
    return referral, marker


KINDS = {
    "referral": Kind(
        category=Category.MESSAGES,
        build=build_referral,
        has_private=False,
        objects=tuple(o for o in OBJECTS if o in ("by_author", "late_by_author")),
    ),
}

URLS = [
    Url("referrals:list", "referral", "list"),
    Url("referrals:detail", "referral", "detail", lambda w, o: [o.pk]),
    Url(
        "referrals:create",
        "referral",
        "page",
        # Therapists refer their own patients; the other clinic's therapist sees a form
        # listing only theirs.
        allowed=lambda persona, state: persona in {"author", "other_clinic"},
    ),
    Url(
        "referrals:decline",
        "referral",
        "page",
        lambda w, o: [w.extra["referral"].pk],
        allowed=lambda persona, state: persona == "recipient" and state == "active",
    ),
    Url(
        "referrals:accept",
        "referral",
        "post",
        lambda w, o: [w.extra["referral"].pk],
        # The addressee passes the access step in every state; before a release is
        # active the service refuses with a plain message (tests/referrals).
        allowed=lambda persona, state: persona == "recipient",
    ),
    Url(
        "referrals:withdraw",
        "referral",
        "post",
        lambda w, o: [w.extra["referral"].pk],
        allowed=lambda persona, state: persona == "author",
    ),
    Url(
        "referrals:waiting",
        "referral",
        "page",
        # Each clinic admin sees their own clinic's list, with no clinical text.
        allowed=lambda persona, state: persona in {"clinic_admin", "other_clinic_admin"},
    ),
]

NOT_PHI: dict[str, str] = {}
