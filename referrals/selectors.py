"""Reads of referrals. A referral is PHI: every read of one goes through ``releases.gate``
(the lifecycle and its rules are in ``referrals.services``)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import OuterRef, QuerySet, Subquery

from cases import selectors as case_selectors
from cases.categories import Category
from cases.models import Clinician, Patient
from releases import gate
from releases.models import InformationRelease

from .models import Referral

Status = Referral.Status
ReleaseStatus = InformationRelease.Status
ENDED = (ReleaseStatus.REVOKED, ReleaseStatus.EXPIRED)


def referrals_visible_to(user) -> QuerySet[Referral]:
    """Referrals the user may read: made by them, or addressed to them (or on their care
    team) under an active release; newest first, with their joins."""
    queryset = Referral.objects.select_related(
        "patient", "referred_by__clinician", "to_prescriber__user", "release", "case"
    )
    return gate.visible(user, Referral, queryset).order_by("-created_at", "-pk")


def referral_for_user(user, pk) -> Referral:
    """One referral the user may read (404 alike for missing and hidden); read recorded."""
    queryset = Referral.objects.select_related(
        "patient", "referred_by__clinician", "to_prescriber__user", "release", "case"
    )
    return gate.read_one(user, Referral, pk, queryset=queryset)


def referrals_awaiting_release_for(user) -> QuerySet[Referral]:
    """Pending referrals addressed to the user that they may not read yet: only the
    referrer and the date are shown (no patient, no text)."""
    readable = gate.visible(user, Referral).values("pk")
    return (
        Referral.objects.filter(to_prescriber__user=user, status=Status.PENDING)
        .exclude(pk__in=readable)
        .select_related("referred_by__clinician")
        .only(
            "pk",
            "created_at",
            "urgency",
            "referred_by__first_name",
            "referred_by__last_name",
            "referred_by__username",
            "referred_by__clinician__credential",
            "referred_by__clinician__role",
        )
        .order_by("created_at", "pk")
    )


def _covering(referral_ref: str = "") -> Subquery:
    """The active release (if any) that lets the addressee read the referral now."""
    return gate.covering_release(
        reader=OuterRef(f"{referral_ref}to_prescriber__user"),
        author=OuterRef(f"{referral_ref}referred_by"),
        patient=OuterRef(f"{referral_ref}patient"),
        category=Category.MESSAGES,
    )


def _latest_release(field: str) -> Subquery:
    """A field of the newest release between the referral's two clinicians."""
    releases = (
        InformationRelease.objects.filter(patient=OuterRef("patient"))
        .disclosed_by(OuterRef("referred_by"))
        .received_by(OuterRef("to_prescriber__user"))
        .order_by("-created_at", "-pk")
    )
    return Subquery(releases.values(field)[:1])


@dataclass
class WaitingReferral:
    """A row of the clinic admin's list: no clinical text."""

    pk: int
    patient: Patient
    referred_by: str
    to_prescriber: str
    created_at: object
    urgency: str
    release_id: int | None
    release_status: str
    release_requested: bool

    @property
    def release_label(self) -> str:
        if self.release_status:
            return ReleaseStatus(self.release_status).label
        return "No release on file"


def referrals_waiting_for_release(clinic_id: int) -> list[WaitingReferral]:
    """Pending referrals of the clinic that no active release covers yet, oldest first,
    for its clinic admin: patient, who, since when, the release's state (one query).
    The referral's clinical fields are never loaded."""
    rows = (
        Referral.objects.filter(patient__clinic_id=clinic_id, status=Status.PENDING)
        .annotate(
            covering_release_id=_covering(),
            latest_release_id=_latest_release("pk"),
            latest_release_status=_latest_release("status"),
        )
        .filter(covering_release_id__isnull=True)
        .select_related("patient", "referred_by__clinician", "to_prescriber__user", "release")
        .only(
            "pk",
            "created_at",
            "urgency",
            "release_requested",
            "patient__given_name",
            "patient__family_name",
            "patient__mrn",
            "patient__clinic_id",
            "referred_by__first_name",
            "referred_by__last_name",
            "referred_by__username",
            "referred_by__clinician__credential",
            "referred_by__clinician__role",
            "to_prescriber__credential",
            "to_prescriber__user__first_name",
            "to_prescriber__user__last_name",
            "to_prescriber__user__username",
            "release__status",
        )
        .order_by("created_at", "pk")
    )
    waiting = []
    for referral in rows:
        # The release the referral names wins over the newest one between the two.
        release = referral.release
        waiting.append(
            WaitingReferral(
                pk=referral.pk,
                patient=referral.patient,
                referred_by=str(referral.referred_by.clinician),
                to_prescriber=str(referral.to_prescriber),
                created_at=referral.created_at,
                urgency=referral.get_urgency_display(),
                release_id=release.pk if release else referral.latest_release_id,
                release_status=release.status if release else referral.latest_release_status or "",
                release_requested=referral.release_requested,
            )
        )
    return waiting


def release_choices(referrer, *, patient: Patient | None = None) -> QuerySet[InformationRelease]:
    """Releases a referral by ``referrer`` may rest on: for their patients, from them (or
    their clinic) to a prescriber, covering messages, not revoked or expired."""
    queryset = (
        InformationRelease.objects.disclosed_by(referrer)
        .covering(Category.MESSAGES)
        .filter(
            patient__in=case_selectors.patients_of_clinician(referrer),
            recipient__role=Clinician.Role.PRESCRIBER,
        )
        .exclude(status__in=ENDED)
    )
    if patient is not None:
        queryset = queryset.filter(patient=patient)
    return queryset.select_related("patient", "recipient__user").order_by(
        "patient__family_name", "-created_at"
    )


def prescribers_of_clinic(clinic_id: int) -> QuerySet[Clinician]:
    """The prescribers a referral may go to."""
    return case_selectors.active_clinicians(
        role=Clinician.Role.PRESCRIBER, clinic_id=clinic_id
    ).order_by("user__last_name", "user__first_name")
