"""Reads of releases and of the accounting of disclosures (no clinical text)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
)
from django.utils import timezone

from cases.models import CareTeamMember, Patient

from . import gate
from .models import Disclosure, InformationRelease, ReleaseQuerySet

Status = InformationRelease.Status

FILTERS = {
    "awaiting": ("Awaiting signature", Q(status__in=[Status.DRAFT, Status.SIGNED])),
    "active": ("Active", Q(status=Status.ACTIVE)),
    "expiring": ("Expiring within 30 days", None),
    "expired": ("Expired", Q(status=Status.EXPIRED)),
    "revoked": ("Revoked", Q(status=Status.REVOKED)),
}


def releases_of_clinic(clinic_id: int) -> QuerySet[InformationRelease]:
    """A clinic's releases with the joins their list shows."""
    return InformationRelease.objects.filter(patient__clinic_id=clinic_id).select_related(
        "patient",
        "recipient__user",
        "discloser_clinician__user",
        "discloser_clinic",
    )


def releases_filtered(
    clinic_id: int, *, state: str = "", query: str = "", now=None
) -> QuerySet[InformationRelease]:
    """The clinic's releases in one list state, searched by patient name or MRN."""
    now = now or timezone.now()
    releases = releases_of_clinic(clinic_id)
    if state == "expiring":
        releases = releases.filter(
            status=Status.ACTIVE, expires_at__gt=now, expires_at__lte=now + dt.timedelta(days=30)
        )
    elif state in FILTERS:
        releases = releases.filter(FILTERS[state][1])
    if query:
        releases = releases.filter(
            Q(patient__family_name__icontains=query)
            | Q(patient__given_name__icontains=query)
            | Q(patient__mrn__iexact=query)
        )
    return releases.order_by("-created_at")


def release_counts_for_clinic(clinic_id: int, *, now=None) -> dict[str, int]:
    """How many releases are in each list state (one query)."""
    now = now or timezone.now()
    counts = InformationRelease.objects.filter(patient__clinic_id=clinic_id).aggregate(
        awaiting=Count("pk", filter=FILTERS["awaiting"][1]),
        active=Count("pk", filter=FILTERS["active"][1]),
        expiring=Count(
            "pk",
            filter=Q(
                status=Status.ACTIVE,
                expires_at__gt=now,
                expires_at__lte=now + dt.timedelta(days=30),
            ),
        ),
        expired=Count("pk", filter=FILTERS["expired"][1]),
        revoked=Count("pk", filter=FILTERS["revoked"][1]),
    )
    return counts


def releases_of_patient(patient: Patient, *, user=None, now=None) -> QuerySet[InformationRelease]:
    """A patient's releases, newest first (status and parties only); with ``user``, each
    says whether it is in force now with the user as a party (``in_force_for_user``)."""
    releases = (
        InformationRelease.objects.filter(patient=patient)
        .select_related("recipient__user", "discloser_clinician__user", "discloser_clinic")
        .order_by("-created_at")
    )
    if user is not None:
        mine = ReleaseQuerySet.q_active_at(now or timezone.now()) & ReleaseQuerySet.q_involving(
            user
        )
        releases = releases.annotate(
            in_force_for_user=ExpressionWrapper(mine, output_field=BooleanField())
        )
    return releases


def access_release_for_admin(user, pk) -> InformationRelease:
    """A release of the clinic admin's own clinic, or 404 (logged)."""
    clinician = getattr(user, "clinician", None)
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise gate.refuse(user, InformationRelease, pk, reason="bad id") from None
    release = None
    if clinician is not None and clinician.is_clinic_admin:
        release = releases_of_clinic(clinician.clinic_id).filter(pk=pk).first()
    if release is None:
        raise gate.refuse(user, InformationRelease, pk)
    return release


def access_release_document(user, pk) -> InformationRelease:
    """A release whose signed document the user may download, or 404 (logged): the
    clinic admin of the patient's clinic, its recipient, its disclosing clinician, and,
    for a release from a whole clinic, that clinic's clinicians on the patient's care
    team. Every other clinician of the clinic gets the same 404 as for a missing one."""
    clinician = getattr(user, "clinician", None)
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise gate.refuse(user, InformationRelease, pk, reason="bad id") from None
    if clinician is None or not user.is_active:
        raise gate.refuse(user, InformationRelease, pk, reason="no clinical role")
    if clinician.is_clinic_admin:
        allowed = Q(patient__clinic_id=clinician.clinic_id)
    else:
        on_team = Exists(
            CareTeamMember.objects.reading().filter(
                case__patient=OuterRef("patient"), clinician=clinician
            )
        )
        # A named discloser is a party; a clinic's clinicians only on the care team.
        allowed = ReleaseQuerySet.q_received_by(user) | (
            ReleaseQuerySet.q_disclosed_by(user) & (Q(discloser_clinician__isnull=False) | on_team)
        )
    release = InformationRelease.objects.filter(allowed, pk=pk).exclude(signed_document="").first()
    if release is None:
        raise gate.refuse(user, InformationRelease, pk, reason="document not visible")
    return release


def recipient_preview(release: InformationRelease, *, now=None) -> list[dict]:
    """What the recipient would see if the release were active now: per category, how
    many shared records and their date range. Counts only, never text."""
    rows = []
    from django.contrib.auth import get_user_model

    # The release's authors, by the release QuerySet's rule of who discloses.
    disclosing = InformationRelease.objects.filter(pk=release.pk).disclosed_by(OuterRef("pk"))
    author_ids = get_user_model().objects.filter(Exists(disclosing)).values("pk")
    for kind in gate.kinds():
        for category in kind.categories:
            if category not in release.scope:
                continue
            records = kind.model._default_manager.filter(
                kind.shared_q(),
                **{
                    f"{kind.patient_path}_id": release.patient_id,
                    f"{kind.author_field}__in": author_ids,
                },
            )
            if kind.category_field:
                records = records.filter(**{kind.category_field: category})
            summary = records.aggregate(
                count=Count("pk"), first=Min(kind.date_field), last=Max(kind.date_field)
            )
            rows.append({"category": category, "kind": kind.label, **summary})
    return rows


def disclosures_of_patient(patient: Patient) -> QuerySet[Disclosure]:
    """The accounting of disclosures for one patient, newest first."""
    return (
        Disclosure.objects.filter(patient=patient)
        .select_related("recipient__clinician", "release")
        .order_by("-disclosed_at")
    )


# --- release state per patient (the patient lists) ---------------------------------

EXPIRING_WITHIN_DAYS = 30


@dataclass(frozen=True)
class ReleaseState:
    """What a patient's releases allow now, as a patient list shows it."""

    key: str  # active, expiring, awaiting, none, revoked, expired
    label: str
    days_left: int | None = None


NO_RELEASE = ReleaseState("none", "no release")


def _state_of(rows: list[dict], now: dt.datetime) -> ReleaseState:
    in_force = [
        row
        for row in rows
        if row["status"] == Status.ACTIVE
        and row["effective_at"] is not None
        and row["effective_at"] <= now
        and (row["expires_at"] is None or row["expires_at"] > now)
    ]
    if in_force:
        ends = [row["expires_at"] for row in in_force]
        if None in ends:
            return ReleaseState("active", "release active")
        days = (timezone.localdate(max(ends)) - timezone.localdate(now)).days
        if days <= EXPIRING_WITHIN_DAYS:
            return ReleaseState(
                "expiring", f"release expires in {days} day{'s' * (days != 1)}", days
            )
        return ReleaseState("active", "release active")
    waiting = [
        row
        for row in rows
        if row["status"] in (Status.DRAFT, Status.SIGNED)
        or (row["status"] == Status.ACTIVE and row["effective_at"] and row["effective_at"] > now)
    ]
    if waiting:
        return ReleaseState("awaiting", "release awaiting signature")
    if not rows:
        return NO_RELEASE
    latest = max(rows, key=lambda row: row["pk"])
    if latest["status"] == Status.REVOKED:
        return ReleaseState("revoked", "release revoked")
    return ReleaseState("expired", "release expired")


def release_states(patient_ids, *, now=None) -> dict[int, ReleaseState]:
    """Per patient id, the state of their releases at ``now``: active, expiring in N days
    (30 or fewer), awaiting signature, revoked, expired or none. One query for all."""
    now = now or timezone.now()
    ids = list(patient_ids)
    by_patient: dict[int, list[dict]] = {pk: [] for pk in ids}
    for row in InformationRelease.objects.filter(patient_id__in=ids).values(
        "pk", "patient_id", "status", "effective_at", "expires_at"
    ):
        by_patient[row["patient_id"]].append(row)
    return {pk: _state_of(rows, now) for pk, rows in by_patient.items()}


def readers_named(author, patient, category: str) -> list:
    """Who will read a record ``author`` writes now (``gate.readers_of_new_record``), as
    a list in name order with their clinician rows, for a form to name them."""
    return list(
        gate.readers_of_new_record(author, patient, category)
        .select_related("clinician")
        .order_by("last_name", "first_name", "pk")
    )


def shared_with(record, readers) -> str:
    """What a saved record says about who reads it (``readers``: the gate's
    ``readers_of_new_record`` when it was written)."""
    if not getattr(record, "shared", True):
        return "private, only you can read it"
    if not readers:
        return "not shared: no active release"
    names = ", ".join(str(getattr(user, "clinician", user)) for user in readers)
    return f"shared with {names}"
