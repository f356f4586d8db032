"""Reads of people, patients and cases. Clinical records are read through releases.gate."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Trim
from django.db.models.lookups import Exact
from django.utils import timezone

from releases import gate

from .extensions import TimelineEntry
from .models import CareTeamMember, Case, Clinician, Observation, ObservationReview, Patient

Adherence = Observation.Adherence
Response = Observation.Response


def clinician_of(user) -> Clinician | None:
    """The user's clinician profile, or None (anonymous, superuser without a profile)."""
    if not user.is_authenticated:
        return None
    return getattr(user, "clinician", None)


def patients_of_clinician(user) -> QuerySet[Patient]:
    """Patients whose care team the user is on."""
    return Patient.objects.filter(
        Exists(
            CareTeamMember.objects.reading().filter(
                case__patient=OuterRef("pk"), clinician__user=user
            )
        )
    )


def patients_of_clinic(clinic_id: int) -> QuerySet[Patient]:
    """Every patient of a clinic (for its clinic admin; demographics only)."""
    return Patient.objects.filter(clinic_id=clinic_id)


def active_clinicians(*, role: str, clinic_id: int | None = None) -> QuerySet[Clinician]:
    """Clinicians of one role whose account is active, of one clinic (or of every clinic),
    with their users: who may be addressed or told anything."""
    queryset = Clinician.objects.filter(role=role, user__is_active=True)
    if clinic_id is not None:
        queryset = queryset.filter(clinic_id=clinic_id)
    return queryset.select_related("user")


def access_patient_by_id(user, pk) -> Patient:
    """The patient, if the user is on their care team or is their clinic's admin; else 404."""
    clinician = clinician_of(user)
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise gate.refuse(user, Patient, pk, reason="bad id") from None
    if clinician is None:
        raise gate.refuse(user, Patient, pk, reason="no clinical role")
    if clinician.is_clinic_admin:
        queryset = patients_of_clinic(clinician.clinic_id)
    else:
        queryset = patients_of_clinician(user)
    patient = queryset.filter(pk=pk).first()
    if patient is None:
        raise gate.refuse(user, Patient, pk)
    return patient


def care_team_of_patient(patient: Patient) -> QuerySet[CareTeamMember]:
    """Everyone on any of the patient's cases, with their user and clinic."""
    return (
        CareTeamMember.objects.reading()
        .filter(case__patient=patient)
        .select_related("clinician__user", "case")
        .order_by("role_on_case", "clinician__user__last_name")
    )


def open_case_of_patient(patient: Patient) -> Case | None:
    """The patient's most recent open case."""
    return patient.cases.filter(status=Case.Status.OPEN).order_by("-opened_on", "-pk").first()


# --- observations -------------------------------------------------------------------

# What a prescriber should see first (the same rule as Observation.is_flagged, in SQL).
FLAGGED = (
    Q(adherence__in=[Adherence.MISSED_DOSES, Adherence.STOPPED])
    | Q(response__in=[Response.WORSE, Response.MUCH_WORSE])
    | ~Q(Exact(Trim("side_effects"), Value("")))
    | ~Q(Exact(Trim("question"), Value("")))
)


def with_flag(queryset: QuerySet[Observation]) -> QuerySet[Observation]:
    """Annotate ``flagged`` (missed doses, stopped, worse, side effects, a question)."""
    return queryset.annotate(
        flagged=models.Case(
            When(FLAGGED, then=Value(True)),
            default=Value(False),
            output_field=models.BooleanField(),
        )
    )


def _current_review_by(user) -> Exists:
    """A review by ``user`` of the observation as it is now (an edit after it re-opens it)."""
    return Exists(
        ObservationReview.objects.filter(
            observation=OuterRef("pk"),
            reviewer=user,
            observation_updated_at__gte=OuterRef("updated_at"),
        )
    )


def _medication_models():
    """(Medication, MedicationChange): the medications app declares the link of an
    observation to medications, so cases reaches its models through that link instead
    of importing the app."""
    medication = Observation._meta.get_field("medications").related_model
    return medication, medication._meta.get_field("changes").related_model


def linked_medications_prefetch(user) -> Prefetch:
    """The medications linked to each observation that ``user`` may read, as
    ``observation.readable_medications`` (the link is declared by the medications app)."""
    medication_model, _ = _medication_models()
    readable = gate.visible(
        user, medication_model, medication_model.objects.select_related("patient").order_by("name")
    )
    return Prefetch("medications", queryset=readable, to_attr="readable_medications")


def linkable_medications(
    user, patient: Patient, *, observation: Observation | None = None
) -> QuerySet:
    """The patient's medications an observation by ``user`` may link to: those the user
    may read, active ones first and those stopped within 60 days, each with
    ``last_change_on`` (its latest start, dose change, switch or stop the user may read).
    Editing a ``observation`` keeps the medications it is already linked to choosable."""
    medication_model, change_model = _medication_models()
    recent = timezone.localdate() - dt.timedelta(days=60)
    choosable = Q(status="active") | Q(stop_date__gte=recent)
    if observation is not None:
        choosable |= Q(pk__in=observation.medications.values("pk"))
    medications = (
        medication_model.objects.filter(patient=patient).filter(choosable).select_related("patient")
    )
    changes = gate.visible(
        user,
        change_model,
        change_model.objects.in_effect().filter(medication=OuterRef("pk")).exclude(kind="fill"),
    ).order_by("-effective_on", "-created_at")
    return (
        gate.visible(user, medication_model, medications)
        .annotate(last_change_on=Subquery(changes.values("effective_on")[:1]))
        .order_by("status", "name")
    )


def reviews_prefetch() -> Prefetch:
    return Prefetch(
        "reviews",
        queryset=ObservationReview.objects.select_related("reviewer__clinician").order_by(
            "reviewed_at"
        ),
    )


def observations_visible_to(user, *, patient: Patient | None = None) -> QuerySet[Observation]:
    """Observations the user may read now, newest first, with their joins: linked
    medications the user may read, reviews, ``flagged`` and ``reviewed_by_me``."""
    queryset = Observation.objects.select_related("case__patient", "author__clinician")
    if patient is not None:
        queryset = queryset.filter(case__patient=patient)
    queryset = with_flag(gate.visible(user, Observation, queryset))
    return (
        queryset.annotate(reviewed_by_me=_current_review_by(user))
        .prefetch_related(linked_medications_prefetch(user), reviews_prefetch())
        .order_by("-observed_on", "-created_at")
    )


def observation_for_user(user, pk) -> Observation:
    """One observation the user may read (404 alike for missing and hidden); read recorded."""
    queryset = (
        Observation.objects.select_related("case__patient", "author__clinician")
        .annotate(reviewed_by_me=_current_review_by(user))
        .prefetch_related(linked_medications_prefetch(user), reviews_prefetch())
    )
    observation = gate.read_one(user, Observation, pk, queryset=queryset)
    gate.record_reads(user, observation.readable_medications)
    return observation


def observations_to_review(user, *, patient: Patient | None = None) -> QuerySet[Observation]:
    """Shared observations by others that ``user`` may read and has not reviewed as they
    are now: flagged first, then newest first, with their joins."""
    queryset = Observation.objects.in_effect().filter(shared=True).exclude(author=user)
    queryset = queryset.filter(case__status=Case.Status.OPEN)
    if patient is not None:
        queryset = queryset.filter(case__patient=patient)
    queryset = gate.visible(
        user, Observation, queryset.select_related("case__patient", "author__clinician")
    )
    return (
        with_flag(queryset.filter(~_current_review_by(user)))
        .prefetch_related(linked_medications_prefetch(user))
        .order_by("-flagged", "-observed_on", "-created_at")
    )


def review_counts(user) -> dict[str, int]:
    """How many observations wait for the user's review, and how many are flagged (one
    query)."""
    return (
        observations_to_review(user)
        .order_by()
        .aggregate(total=Count("pk"), flagged=Count("pk", filter=FLAGGED))
    )


def patients_with_care_team(queryset: QuerySet[Patient]) -> QuerySet[Patient]:
    """Patients with their cases' care teams prefetched."""
    return queryset.prefetch_related(
        Prefetch(
            "cases__care_team",
            queryset=CareTeamMember.objects.select_related("clinician__user"),
        )
    )


def observation_timeline(user, patient: Patient) -> list[TimelineEntry]:
    """The patient's observations the user may read, as timeline entries. Each carries
    the ids of its linked medications (to place it after the right change) and those
    medications as also read."""
    entries = []
    for observation in observations_visible_to(user, patient=patient):
        entries.append(
            TimelineEntry(
                when=observation.observed_on,
                kind="observation",
                template="cases/_timeline_observation.html",
                obj=observation,
                flagged=observation.flagged,
                extra={
                    "in_error": observation.is_entered_in_error,
                    "medication_ids": {m.pk for m in observation.readable_medications},
                    "also_read": observation.readable_medications,
                },
            )
        )
    return entries


def place_after_changes(entries: list[TimelineEntry]) -> None:
    """Mark each observation with the medication change it follows, so a shift after a
    change shows at a glance: ``extra["after_change"]`` holds ``days``, the ``change``
    record and its ``label``.

    Change entries (from any app) say ``extra["shift"] = True`` and name their
    ``extra["medication_ids"]``; a change entered in error is no shift, and an
    observation entered in error (``extra["in_error"]``) follows none. An observation
    linked to medications follows the latest change of one of them; one linked to none
    follows the latest change of any. A change on the observation's own day counts (day 0).
    """
    latest_any: TimelineEntry | None = None
    latest_by_medication: dict[int, TimelineEntry] = {}
    # On one day, changes come first: an observation of that day follows them.
    for entry in sorted(entries, key=lambda e: (e.sort_key, 0 if e.extra.get("shift") else 1)):
        if entry.extra.get("shift"):
            latest_any = entry
            for medication_id in entry.extra.get("medication_ids", ()):
                latest_by_medication[medication_id] = entry
            continue
        if entry.kind != "observation" or entry.extra.get("in_error"):
            continue
        linked = [
            latest_by_medication[m]
            for m in entry.extra.get("medication_ids", ())
            if m in latest_by_medication
        ]
        change = max(linked, key=lambda e: e.sort_key) if linked else latest_any
        if change is not None:
            days = (_as_date(entry.when) - _as_date(change.when)).days
            entry.extra["after_change"] = {
                "days": days,
                "change": change.obj,
                "label": change.extra.get("label", ""),
            }


def _as_date(when) -> dt.date:
    if isinstance(when, dt.datetime):
        return timezone.localdate(when) if timezone.is_aware(when) else when.date()
    return when
