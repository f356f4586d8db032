"""Referrals for medication evaluation: a therapist refers a patient to a prescriber.

Lifecycle: pending -> accepted | declined (with a reason) | withdrawn (by the referrer).

- The therapist refers a patient whose care team they are on, to a prescriber of the
  patient's clinic, with the reason, the urgency, what they have seen, and the release
  the referral rests on: an existing one between the two of them, or a request to the
  clinic admin to prepare one.
- A referral is shared PHI of the category "messages" (registered with the gate in
  ``referrals.apps``, with the prescriber as addressee): the prescriber reads it once a
  release from the therapist (or their clinic) to the prescriber is active, before they
  are on the care team. Before that they see only that a referral from the therapist
  waits for a release (no patient, no text).
- The prescriber accepts it only while such a release is active; acceptance puts them
  on the care team of the patient's open case (a case is opened if there is none).
- The clinic admin sees the pending referrals that no active release covers yet, with
  the patient, who referred to whom, since when and the release's state: never the
  clinical text (minimum necessary).

Notifications say only that a referral waits or was decided, and link to it.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cases import selectors as case_selectors
from cases import services as case_services
from cases.models import CareTeamMember, Case, Clinician, Patient
from notifications.models import Notification
from notifications.services import notify
from releases import gate
from releases.models import InformationRelease

from .models import Referral
from .selectors import ENDED

Status = Referral.Status


def _check_release(release: InformationRelease, *, referrer, patient, to_prescriber) -> None:
    # The direction, by the release QuerySet's rule: from the referrer to the prescriber.
    between = (
        InformationRelease.objects.filter(pk=release.pk, patient=patient)
        .disclosed_by(referrer)
        .received_by(to_prescriber.user_id)
        .exists()
    )
    if not between:
        raise ValidationError(
            {"release": "Choose a release of this patient from you to this prescriber."}
        )
    if not release.scope_messages:
        raise ValidationError(
            {"release": "This release does not cover messages, so it cannot carry a referral."}
        )
    if release.status in ENDED:
        raise ValidationError(
            {
                "release": f"This release is {release.get_status_display().lower()}: "
                "ask the clinic admin for a new one."
            }
        )


@transaction.atomic
def referral_create(
    *,
    referred_by,
    patient: Patient,
    to_prescriber: Clinician,
    reason: str,
    urgency: str = Referral.Urgency.ROUTINE,
    observations: str = "",
    release: InformationRelease | None = None,
) -> Referral:
    """Refer a patient to a prescriber; without a release, the clinic admin is asked to
    prepare one."""
    clinician = getattr(referred_by, "clinician", None)
    if clinician is None or not clinician.is_therapist:
        raise PermissionDenied("Only a therapist refers a patient for medication evaluation.")
    if not case_selectors.patients_of_clinician(referred_by).filter(pk=patient.pk).exists():
        raise ValidationError(
            {"patient": "You can refer only patients whose care team you are on."}
        )
    if not to_prescriber.is_prescriber or to_prescriber.clinic_id != patient.clinic_id:
        raise ValidationError({"to_prescriber": "Choose a prescriber of the patient's clinic."})
    if Referral.objects.filter(
        patient=patient, to_prescriber=to_prescriber, status=Status.PENDING
    ).exists():
        raise ValidationError(
            "A referral of this patient to this prescriber is already pending: withdraw it "
            "first to refer again."
        )
    if release is not None:
        _check_release(release, referrer=referred_by, patient=patient, to_prescriber=to_prescriber)
    case = (
        Case.objects.filter(
            patient=patient,
            care_team__in=CareTeamMember.objects.writing().filter(clinician__user=referred_by),
        )
        .order_by("-opened_on", "-pk")
        .first()
    )
    referral = Referral(
        patient=patient,
        case=case,
        referred_by=referred_by,
        to_prescriber=to_prescriber,
        reason=reason.strip(),
        urgency=urgency,
        observations=observations.strip(),
        release=release,
        release_requested=release is None,
    )
    referral.full_clean()
    referral.save()
    gate.grants_for_new_object(referral)

    readable = gate.can_read(to_prescriber.user, referral)
    notify(
        recipient=to_prescriber.user,
        kind=Notification.Kind.REFERRAL,
        text="New referral for medication evaluation"
        + ("" if readable else " (it opens once the patient's release is active)"),
        url=reverse(
            "referrals:detail" if readable else "referrals:list",
            args=[referral.pk] if readable else [],
        ),
        key=f"referral:{referral.pk}",
    )
    if not readable:
        admins = case_selectors.active_clinicians(
            role=Clinician.Role.CLINIC_ADMIN, clinic_id=patient.clinic_id
        )
        for admin in admins:
            notify(
                recipient=admin.user,
                kind=Notification.Kind.REFERRAL,
                text="A referral waits for an information release",
                url=reverse("referrals:waiting"),
                key=f"referral-waiting:{referral.pk}",
            )
    return referral


def _tell_referrer(referral: Referral, decision: str) -> None:
    """The referring therapist learns the decision (no PHI: a link to the referral)."""
    notify(
        recipient=referral.referred_by,
        kind=Notification.Kind.REFERRAL,
        text=f"Your referral was {decision}",
        url=reverse("referrals:detail", args=[referral.pk]),
        key=f"referral:{referral.pk}:{decision}",
    )


def _pending_for_update(referral: Referral) -> Referral:
    referral = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("patient", "to_prescriber__user", "referred_by__clinician")
        .get(pk=referral.pk)
    )
    if referral.status != Status.PENDING:
        raise ValidationError(f"This referral is {referral.get_status_display().lower()} already.")
    return referral


@transaction.atomic
def referral_accept(*, referral: Referral, actor) -> Referral:
    """Accept a referral: the prescriber joins the care team of the patient's open case.
    Refused while no release covering the referral is active."""
    referral = _pending_for_update(referral)
    if referral.to_prescriber.user_id != actor.pk:
        raise PermissionDenied("Only the prescriber it is addressed to accepts a referral.")
    covered = gate.visible(actor, Referral, Referral.objects.filter(pk=referral.pk)).first()
    if covered is None:
        raise ValidationError(
            "This referral cannot be accepted yet: no information release from the referring "
            "therapist to you is active for this patient. The clinic admin activates it once "
            "the patient has signed; you will see the referral here then."
        )
    case = referral.case if referral.case and referral.case.status == Case.Status.OPEN else None
    case = case or case_selectors.open_case_of_patient(referral.patient)
    if case is None:
        case = case_services.case_open(patient=referral.patient)
    therapist = referral.referred_by.clinician
    if not CareTeamMember.objects.filter(case=case, clinician=therapist).exists():
        case_services.care_team_add(
            case=case, clinician=therapist, role_on_case=CareTeamMember.RoleOnCase.THERAPIST
        )
    case_services.care_team_add(
        case=case,
        clinician=referral.to_prescriber,
        role_on_case=CareTeamMember.RoleOnCase.PRESCRIBER,
    )
    referral.status = Status.ACCEPTED
    referral.case = case
    referral.decided_at = timezone.now()
    if referral.release_id is None:
        referral.release_id = covered.gate_release_id
    referral.full_clean()
    referral.save(update_fields=["status", "case", "decided_at", "release"])
    _tell_referrer(referral, "accepted")
    return referral


@transaction.atomic
def referral_decline(*, referral: Referral, actor, reason: str) -> Referral:
    """Decline a referral, saying why (the referrer reads the reason)."""
    referral = _pending_for_update(referral)
    if referral.to_prescriber.user_id != actor.pk:
        raise PermissionDenied("Only the prescriber it is addressed to declines a referral.")
    if not gate.can_read(actor, referral):
        raise ValidationError(
            "This referral cannot be decided yet: the patient's release to you is not active."
        )
    if not reason.strip():
        raise ValidationError({"decline_reason": "Say why you decline the referral."})
    referral.status = Status.DECLINED
    referral.decline_reason = reason.strip()
    referral.decided_at = timezone.now()
    referral.full_clean()
    referral.save(update_fields=["status", "decline_reason", "decided_at"])
    _tell_referrer(referral, "declined")
    return referral


@transaction.atomic
def referral_withdraw(*, referral: Referral, actor) -> Referral:
    """Withdraw a pending referral (its referrer only)."""
    referral = _pending_for_update(referral)
    if referral.referred_by_id != actor.pk:
        raise PermissionDenied("Only the therapist who referred withdraws a referral.")
    referral.status = Status.WITHDRAWN
    referral.decided_at = timezone.now()
    referral.save(update_fields=["status", "decided_at"])
    return referral
