"""Writes to cases: people, patients, care teams and observations."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from notifications.services import notify
from releases import gate

from .models import (
    OBSERVATION_TEXT_FIELDS,
    CareTeamMember,
    Case,
    Clinic,
    Clinician,
    EnteredInError,
    Observation,
    ObservationReview,
    Patient,
)

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
    care_team_announce(member=member)
    return member


def care_team_announce(*, member: CareTeamMember) -> int:
    """Tell the rest of the patient's care team that this member joined it."""
    return care_team_tell_new_reader(
        patient=member.case.patient,
        clinician=member.clinician,
        what="joined the care team of one of your patients",
        key=f"care-team-joined:{member.pk}",
    )


def care_team_tell_new_reader(
    *, patient: Patient, clinician: Clinician, what: str, key: str
) -> int:
    """Tell the patient's care team, all but ``clinician``, that ``clinician`` may now
    read about the patient (a new team member, a release's recipient), so a new reader
    never appears silently. The text names the clinician, never the patient (no PHI);
    the link is the patient's page, where the gate decides. Returns how many were told."""
    from . import selectors

    url = reverse("cases:patient_detail", args=[patient.pk])
    told: set[int] = set()
    for member in selectors.care_team_of_patient(patient):
        user = member.clinician.user
        if member.clinician_id == clinician.pk or user.pk in told or not user.is_active:
            continue
        notify(
            recipient=user,
            kind=Notification.Kind.CARE_TEAM,
            text=f"{clinician} {what}.",
            url=url,
            key=key,
        )
        told.add(user.pk)
    return len(told)


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
    "needs_attention_today",
    "attention_reason",
)


def _author_on_team(case: Case, author) -> None:
    # Writing: a member of this case while it is open (CareTeamQuerySet.writing).
    if not CareTeamMember.objects.writing().filter(case=case, clinician__user=author).exists():
        raise PermissionDenied("Only the case's care team writes observations, while it is open.")


def _check_observation(observation: Observation) -> None:
    """Rules of a useful observation, beyond the model's field checks."""
    has_content = (
        observation.adherence
        or observation.response
        or observation.attitudes
        or any(getattr(observation, name).strip() for name in OBSERVATION_TEXT_FIELDS)
    )
    if not has_content:
        raise ValidationError(
            "The observation is empty: choose an adherence or a response, or write a note."
        )
    if observation.needs_attention_today and not observation.attention_reason.strip():
        raise ValidationError({"attention_reason": "Say why it needs attention today."})
    if observation.attention_reason.strip() and not observation.needs_attention_today:
        raise ValidationError(
            {"attention_reason": "Tick 'needs attention today' as well, or leave this empty."}
        )
    if not observation.shared:
        if observation.needs_attention_today:
            raise ValidationError(
                {
                    "needs_attention_today": "A private note never leaves you: share it to "
                    "alert the prescriber."
                }
            )
        for name in ("question", "evaluation_suggestion"):
            if getattr(observation, name).strip():
                raise ValidationError(
                    {
                        name: "A private note never leaves you: share the note to ask the "
                        "other clinician, or move this into the private text."
                    }
                )


def _linkable_medications(observation: Observation, author, medications) -> list:
    """The medications to link, checked: the observation's patient's, and readable by its author."""
    medications = list(medications or [])
    if not medications:
        return []
    model = Observation._meta.get_field("medications").related_model
    ids = {m.pk for m in medications}
    readable = gate.visible(
        author, model, model.objects.filter(pk__in=ids, patient_id=observation.case.patient_id)
    ).values_list("pk", flat=True)
    if set(readable) != ids:
        raise ValidationError({"medications": "Link only medications on this patient's list."})
    return medications


def _strip_text(fields: dict) -> dict:
    return {
        name: value.strip() if name in OBSERVATION_TEXT_FIELDS and isinstance(value, str) else value
        for name, value in fields.items()
    }


@transaction.atomic
def observation_create(*, case: Case, author, medications=None, **fields) -> Observation:
    """Write an observation, linked to the patient's medications it is about; a shared
    one is granted at once under active releases."""
    _author_on_team(case, author)
    unknown = set(fields) - set(NOTE_FIELDS) - {"category"}
    if unknown:
        raise TypeError(f"Unknown observation fields: {sorted(unknown)}")
    observation = Observation(case=case, author=author, **_strip_text(fields))
    observation.full_clean()
    _check_observation(observation)
    linked = _linkable_medications(observation, author, medications)
    observation.save()
    if linked:
        observation.medications.set(linked)
    if observation.shared:
        gate.grants_for_new_object(observation)
    _raise_alert_if_marked(observation)
    return observation


@transaction.atomic
def observation_update(
    *, observation: Observation, author, medications=None, **fields
) -> Observation:
    """Change an observation (only its author may). ``medications=None`` keeps the links."""
    observation = Observation.objects.select_for_update().get(pk=observation.pk)
    if observation.author_id != author.pk:
        raise PermissionDenied("Only the author changes an observation.")
    unknown = set(fields) - set(NOTE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown observation fields: {sorted(unknown)}")
    was_shared = observation.shared
    for name, value in _strip_text(fields).items():
        setattr(observation, name, value)
    observation.updated_at = timezone.now()
    observation.full_clean()
    _check_observation(observation)
    linked = None
    if medications is not None:
        # Links to medications the author can no longer read (a release ended) were not
        # on the form: they stay, rather than vanish unseen.
        model = Observation._meta.get_field("medications").related_model
        current = observation.medications.all()
        readable = gate.visible(author, model, current).values_list("pk", flat=True)
        kept = list(current.exclude(pk__in=list(readable)))
        linked = _linkable_medications(observation, author, medications) + kept
    observation.save(update_fields=[*fields, "updated_at"])
    if linked is not None:
        observation.medications.set(linked)
    if observation.shared:
        gate.grants_for_new_object(observation)
    elif was_shared:
        # Made private: nobody else keeps an index entry. Reads that already happened
        # stay recorded as disclosures.
        gate.grants_remove_for_object(observation)
    _raise_alert_if_marked(observation)
    return observation


def mark_entered_in_error(record: EnteredInError, *, by, reason: str) -> None:
    """Mark a record of any kind entered in error, saying why (the caller locked it and
    checked who may): it stays, struck through, and no longer counts (``in_effect``).
    Audited like any change (the reason masked in the diff)."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why it was entered in error."})
    if record.is_entered_in_error:
        raise ValidationError("This is already marked entered in error.")
    record.entered_in_error_at = timezone.now()
    record.entered_in_error_by = by
    record.entered_in_error_reason = reason
    record.full_clean()
    record.save(
        update_fields=["entered_in_error_at", "entered_in_error_by", "entered_in_error_reason"]
    )


@transaction.atomic
def observation_mark_entered_in_error(
    *, observation: Observation, author, reason: str
) -> Observation:
    """The author marks their observation entered in error (no one else may)."""
    observation = Observation.objects.select_for_update().get(pk=observation.pk)
    if observation.author_id != author.pk or not author.is_active:
        raise PermissionDenied("Only the author marks an observation entered in error.")
    mark_entered_in_error(observation, by=author, reason=reason)
    return observation


def _raise_alert_if_marked(observation: Observation) -> None:
    """An observation marked for attention today raises its safety alert (once)."""
    if observation.needs_attention_today:
        from alerts.services import alert_raise_for_observation

        alert_raise_for_observation(observation=observation)


def _check_reviewer(observation: Observation, reviewer) -> None:
    if observation.author_id == reviewer.pk:
        raise ValidationError("You wrote this observation; reviews are for the other clinician.")
    if not observation.shared:
        raise ValidationError("A private observation is never reviewed by anyone else.")
    on_team = (
        CareTeamMember.objects.reading()
        .filter(case__patient_id=observation.case.patient_id, clinician__user=reviewer)
        .exists()
    )
    if not on_team:
        raise PermissionDenied("Only the patient's care team reviews observations.")


@transaction.atomic
def observation_mark_reviewed(
    *, observation: Observation, reviewer, at: dt.datetime | None = None
) -> ObservationReview:
    """Record that ``reviewer`` reviewed the observation as it is now (idempotent). The view has
    read the observation through the gate."""
    observation = Observation.objects.select_related("case").get(pk=observation.pk)
    _check_reviewer(observation, reviewer)
    at = at or timezone.now()
    review = (
        ObservationReview.objects.select_for_update()
        .filter(observation=observation, reviewer=reviewer)
        .first()
    )
    if review is None:
        review = ObservationReview(
            observation=observation,
            reviewer=reviewer,
            reviewed_at=at,
            observation_updated_at=observation.updated_at,
        )
        review.full_clean()
        review.save()
    elif review.observation_updated_at < observation.updated_at:
        review.reviewed_at = at
        review.observation_updated_at = observation.updated_at
        review.full_clean()
        review.save(update_fields=["reviewed_at", "observation_updated_at"])
    return review


@transaction.atomic
def observation_review_undo(*, observation: Observation, reviewer, within: dt.timedelta):
    """Take back ``reviewer``'s review of the observation made in the last ``within`` (the
    queue's undo): the observation waits for them again. An older review stays."""
    review = (
        ObservationReview.objects.select_for_update()
        .filter(observation=observation, reviewer=reviewer)
        .first()
    )
    if review is None or review.reviewed_at < timezone.now() - within:
        raise ValidationError("There is no review of yours to undo here any more.")
    review.delete()
    return observation


@transaction.atomic
def observation_mark_reviewed_many(*, observations, reviewer) -> int:
    """Mark several observations reviewed (those the reviewer saw on the page); returns how many
    were newly reviewed."""
    count = 0
    for observation in observations:
        before = ObservationReview.objects.filter(
            observation=observation,
            reviewer=reviewer,
            observation_updated_at__gte=observation.updated_at,
        ).exists()
        observation_mark_reviewed(observation=observation, reviewer=reviewer)
        count += not before
    return count
