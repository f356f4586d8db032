"""Writes to cases: people, patients, care teams and observations."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from releases import gate

from .models import CareTeamMember, Case, Clinic, Clinician, Patient, ProgressNote

User = get_user_model()


@transaction.atomic
def clinician_create(
    *,
    username: str,
    password: str,
    clinic: Clinic,
    role: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    credential: str = "",
) -> Clinician:
    """Create a user with their clinician profile."""
    user = User(username=username, first_name=first_name, last_name=last_name, email=email)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    clinician = Clinician(user=user, clinic=clinic, role=role, credential=credential)
    clinician.full_clean()
    clinician.save()
    return clinician


@transaction.atomic
def user_deactivate(*, user) -> None:
    """Deactivate a user and end every session they hold."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            session.delete()


@transaction.atomic
def patient_create(
    *, clinic: Clinic, given_name: str, family_name: str, date_of_birth: dt.date, mrn: str
) -> Patient:
    """Register a patient of a clinic."""
    patient = Patient(
        clinic=clinic,
        given_name=given_name,
        family_name=family_name,
        date_of_birth=date_of_birth,
        mrn=mrn,
    )
    patient.full_clean()
    patient.save()
    return patient


@transaction.atomic
def case_open(*, patient: Patient, opened_on: dt.date | None = None) -> Case:
    """Open a collaborative case for a patient."""
    case = Case(patient=patient, opened_on=opened_on or timezone.localdate())
    case.full_clean()
    case.save()
    return case


@transaction.atomic
def care_team_add(*, case: Case, clinician: Clinician, role_on_case: str) -> CareTeamMember:
    """Put a clinician on a case's care team (idempotent)."""
    member = CareTeamMember.objects.filter(case=case, clinician=clinician).first()
    if member:
        return member
    member = CareTeamMember(case=case, clinician=clinician, role_on_case=role_on_case)
    member.full_clean()
    member.save()
    return member


NOTE_FIELDS = (
    "shared",
    "observed_on",
    "adherence",
    "response",
    "side_effects",
    "attitudes",
    "attitude_notes",
    "question",
    "evaluation_suggestion",
    "body",
)


def _author_on_team(case: Case, author) -> None:
    if not CareTeamMember.objects.filter(case=case, clinician__user=author).exists():
        raise PermissionDenied("Only the case's care team writes observations.")


@transaction.atomic
def note_create(*, case: Case, author, **fields) -> ProgressNote:
    """Write an observation; a shared one is granted at once under active releases."""
    _author_on_team(case, author)
    unknown = set(fields) - set(NOTE_FIELDS) - {"category"}
    if unknown:
        raise TypeError(f"Unknown note fields: {sorted(unknown)}")
    note = ProgressNote(case=case, author=author, **fields)
    note.full_clean()
    if not note.body.strip() and not note.is_flagged and not note.adherence and not note.response:
        raise ValidationError("Write something: an adherence, a response or a note.")
    note.save()
    if note.shared:
        gate.grants_for_new_object(note)
    return note


@transaction.atomic
def note_update(*, note: ProgressNote, author, **fields) -> ProgressNote:
    """Change an observation (only its author may)."""
    note = ProgressNote.objects.select_for_update().get(pk=note.pk)
    if note.author_id != author.pk:
        raise PermissionDenied("Only the author changes an observation.")
    unknown = set(fields) - set(NOTE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown note fields: {sorted(unknown)}")
    was_shared = note.shared
    for name, value in fields.items():
        setattr(note, name, value)
    note.updated_at = timezone.now()
    note.full_clean()
    note.save(update_fields=[*fields, "updated_at"])
    if note.shared:
        gate.grants_for_new_object(note)
    elif was_shared:
        # Made private: nobody else keeps an index entry. Reads that already happened
        # stay recorded as disclosures.
        gate.grants_remove_for_object(note)
    return note
