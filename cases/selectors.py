"""Reads of people, patients and cases. Clinical records are read through releases.gate."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from releases import gate

from .extensions import TimelineEntry
from .models import CareTeamMember, Case, Clinician, Patient, ProgressNote


def clinician_of(user) -> Clinician | None:
    """The user's clinician profile, or None (anonymous, superuser without a profile)."""
    if not user.is_authenticated:
        return None
    return getattr(user, "clinician", None)


def patients_of_clinician(user) -> QuerySet[Patient]:
    """Patients whose care team the user is on."""
    return Patient.objects.filter(
        Exists(CareTeamMember.objects.filter(case__patient=OuterRef("pk"), clinician__user=user))
    )


def patients_of_clinic(clinic_id: int) -> QuerySet[Patient]:
    """Every patient of a clinic (for its clinic admin; demographics only)."""
    return Patient.objects.filter(clinic_id=clinic_id)


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
        CareTeamMember.objects.filter(case__patient=patient)
        .select_related("clinician__user", "case")
        .order_by("role_on_case", "clinician__user__last_name")
    )


def open_case_of_patient(patient: Patient) -> Case | None:
    """The patient's most recent open case."""
    return patient.cases.filter(status=Case.Status.OPEN).order_by("-opened_on", "-pk").first()


def notes_visible_to(user, *, patient: Patient | None = None) -> QuerySet[ProgressNote]:
    """Observations the user may read now, newest first, with their joins."""
    queryset = ProgressNote.objects.select_related("case__patient", "author__clinician")
    if patient is not None:
        queryset = queryset.filter(case__patient=patient)
    return gate.visible(user, ProgressNote, queryset).order_by("-observed_on", "-created_at")


def note_for_user(user, pk) -> ProgressNote:
    """One observation the user may read (404 alike for missing and hidden); read recorded."""
    queryset = ProgressNote.objects.select_related("case__patient", "author__clinician")
    return gate.read_one(user, ProgressNote, pk, queryset=queryset)


def patients_with_care_team(queryset: QuerySet[Patient]) -> QuerySet[Patient]:
    """Patients with their cases' care teams prefetched."""
    return queryset.prefetch_related(
        Prefetch(
            "cases__care_team",
            queryset=CareTeamMember.objects.select_related("clinician__user"),
        )
    )


def observation_timeline(user, patient: Patient) -> list[TimelineEntry]:
    """The patient's observations the user may read, as timeline entries."""
    return [
        TimelineEntry(
            when=note.observed_on,
            kind="observation",
            template="cases/_timeline_observation.html",
            obj=note,
            flagged=note.is_flagged,
        )
        for note in notes_visible_to(user, patient=patient)
    ]
