"""Writes to releases: the lifecycle draft -> signed -> active -> expired | revoked.

Every state change goes through one function here; grants follow in the same
transaction (releases.gate).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from cases import services as case_services
from cases.models import Clinic, Clinician, Patient

from . import gate
from .models import InformationRelease, start_of_day

logger = logging.getLogger("carecollab.releases")

Status = InformationRelease.Status

# Magic numbers of the document types we accept; the browser's content type is not
# trusted.
DOCUMENT_SIGNATURES = {
    b"%PDF-": ("application/pdf", {"pdf"}),
    b"\x89PNG\r\n\x1a\n": ("image/png", {"png"}),
    b"\xff\xd8\xff": ("image/jpeg", {"jpg", "jpeg"}),
}


def _instants(release: InformationRelease) -> None:
    # The expiry instant is set with the date (InformationRelease.expires_on).
    release.effective_at = start_of_day(release.effective_on)


def signed_document_check(document: UploadedFile) -> str:
    """Return the checked content type of an upload, or raise ValidationError."""
    if document.size is None or document.size == 0:
        raise ValidationError({"signed_document": "The file is empty."})
    limit = settings.SIGNED_DOCUMENT_MAX_BYTES
    if document.size > limit:
        raise ValidationError(
            {"signed_document": f"The file is larger than {limit // (1024 * 1024)} MB."}
        )
    document.seek(0)
    head = document.read(16)
    document.seek(0)
    extension = document.name.rsplit(".", 1)[-1].lower() if "." in document.name else ""
    for magic, (content_type, extensions) in DOCUMENT_SIGNATURES.items():
        if head.startswith(magic):
            if extension not in extensions:
                raise ValidationError(
                    {"signed_document": "The file's name does not match its content."}
                )
            return content_type
    raise ValidationError({"signed_document": "Upload the signed release as a PDF, PNG or JPEG."})


@transaction.atomic
def release_create(
    *,
    actor,
    patient: Patient,
    recipient: Clinician,
    scope: list[str],
    purpose: str,
    effective_on: dt.date,
    discloser_clinician: Clinician | None = None,
    discloser_clinic: Clinic | None = None,
    mutual: bool = False,
    expires_on: dt.date | None = None,
    expiration_event: str = "",
) -> InformationRelease:
    """Create a release awaiting signature."""
    release = InformationRelease(
        patient=patient,
        discloser_clinician=discloser_clinician,
        discloser_clinic=discloser_clinic,
        recipient=recipient,
        mutual=mutual,
        purpose=purpose,
        effective_on=effective_on,
        expires_on=expires_on,
        expiration_event=expiration_event,
        created_by=actor,
    )
    for category in scope:
        setattr(release, f"scope_{category}", True)
    _check_parties(release)
    _instants(release)
    release.full_clean()
    release.save()
    _tell_care_team_of_recipient(release)
    return release


def _tell_care_team_of_recipient(release: InformationRelease) -> None:
    """The patient's care team hears who is named to receive their patient's records."""
    case_services.care_team_tell_new_reader(
        patient=release.patient,
        clinician=release.recipient,
        what="was named the recipient of an information release for one of your patients",
        key=f"release-recipient:{release.pk}:{release.recipient_id}",
    )


def _check_parties(release: InformationRelease) -> None:
    clinic_id = release.patient.clinic_id
    errors = {}
    if release.recipient.clinic_id != clinic_id and release.recipient.role:
        # Releases to another clinic's clinician are legal, but this deployment keeps
        # each clinic's patients and staff together: say so plainly.
        errors["recipient"] = "The recipient must be a clinician of the patient's clinic."
    if release.recipient.role == Clinician.Role.CLINIC_ADMIN:
        errors["recipient"] = "A clinic admin cannot receive clinical information."
    if release.discloser_clinician_id:
        if release.discloser_clinician.role == Clinician.Role.CLINIC_ADMIN:
            errors["discloser_clinician"] = "A clinic admin does not disclose clinical information."
        elif release.discloser_clinician.clinic_id != clinic_id:
            errors["discloser_clinician"] = "The discloser must be of the patient's clinic."
    if release.discloser_clinic_id and release.discloser_clinic_id != clinic_id:
        errors["discloser_clinic"] = "The disclosing clinic must be the patient's clinic."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def release_update_draft(*, release: InformationRelease, **fields) -> InformationRelease:
    """Change a release that is still awaiting signature."""
    release = InformationRelease.objects.select_for_update().get(pk=release.pk)
    if release.status != Status.DRAFT:
        raise ValidationError(
            "A signed release cannot be changed: its scope and parties are what the patient "
            "signed. Revoke it if needed and create a new release."
        )
    scope = fields.pop("scope", None)
    recipient_before = release.recipient_id
    for name, value in fields.items():
        setattr(release, name, value)
    if scope is not None:
        for category in release.scope:
            setattr(release, f"scope_{category}", False)
        for category in scope:
            setattr(release, f"scope_{category}", True)
    _check_parties(release)
    _instants(release)
    release.full_clean()
    release.save()
    if release.recipient_id != recipient_before:
        _tell_care_team_of_recipient(release)
    return release


@transaction.atomic
def release_record_signature(
    *,
    release: InformationRelease,
    signer_name: str,
    signer_relationship: str,
    signed_on: dt.date,
    document: UploadedFile,
    ack_right_to_revoke: bool,
    ack_treatment_not_conditioned: bool,
    ack_redisclosure: bool,
    representative_authority: str = "",
) -> InformationRelease:
    """Record the patient's (or representative's) signature and the signed document."""
    release = InformationRelease.objects.select_for_update().get(pk=release.pk)
    if release.status not in (Status.DRAFT, Status.SIGNED):
        raise ValidationError(
            f"A {release.get_status_display().lower()} release cannot be signed again; "
            "create a new release."
        )
    if not (ack_right_to_revoke and ack_treatment_not_conditioned and ack_redisclosure):
        raise ValidationError(
            "The signed form must state the right to revoke, that treatment is not conditioned "
            "on signing, and that information may be redisclosed: confirm all three."
        )
    content_type = signed_document_check(document)
    release.signer_name = signer_name
    release.signer_relationship = signer_relationship
    release.representative_authority = representative_authority
    release.signed_on = signed_on
    release.ack_right_to_revoke = ack_right_to_revoke
    release.ack_treatment_not_conditioned = ack_treatment_not_conditioned
    release.ack_redisclosure = ack_redisclosure
    release.document_content_type = content_type
    release.full_clean(exclude=["signed_document"])
    old_document = release.signed_document.name if release.signed_document else None
    release.signed_document.save(document.name, document, save=False)
    release.status = Status.SIGNED
    release.save()
    if old_document:
        transaction.on_commit(lambda: release.signed_document.storage.delete(old_document))
    return release


@transaction.atomic
def release_activate(*, release: InformationRelease, actor) -> InformationRelease:
    """Put a signed release in force; reads open from its effective date."""
    release = InformationRelease.objects.select_for_update().get(pk=release.pk)
    if release.status == Status.REVOKED:
        raise ValidationError("A revoked release cannot be reactivated; create a new release.")
    if release.status == Status.ACTIVE:
        raise ValidationError("This release is already active.")
    if release.status == Status.EXPIRED:
        raise ValidationError("An expired release cannot be reactivated; create a new release.")
    if not release.is_signed:
        raise ValidationError(
            "Record the signature and upload the signed document before activating."
        )
    if not release.statements_acknowledged:
        raise ValidationError("The three required statements must be confirmed before activating.")
    if release.expires_at is not None and release.expires_at <= timezone.now():
        raise ValidationError("This release's expiration date has passed; create a new release.")
    release.status = Status.ACTIVE
    release.activated_at = timezone.now()
    release.save()
    gate.grants_sync_for_patient(release.patient_id)
    return release


@transaction.atomic
def release_revoke(*, release: InformationRelease, actor, reason: str) -> InformationRelease:
    """Revoke a release: access ends at once; past disclosures stay recorded."""
    release = InformationRelease.objects.select_for_update().get(pk=release.pk)
    if release.status in (Status.REVOKED, Status.EXPIRED):
        raise ValidationError(f"This release is already {release.get_status_display().lower()}.")
    if not reason.strip():
        raise ValidationError({"revocation_reason": "Say why the release is revoked."})
    release.status = Status.REVOKED
    release.revoked_by = actor
    release.revocation_reason = reason.strip()
    release.ended_at = timezone.now()
    release.save()
    gate.grants_sync_for_patient(release.patient_id)
    return release


@transaction.atomic
def release_expire(*, release: InformationRelease) -> InformationRelease:
    """Mark a release expired (its date passed, or its expiration event occurred)."""
    release = InformationRelease.objects.select_for_update().get(pk=release.pk)
    if release.status in (Status.REVOKED, Status.EXPIRED):
        return release
    release.status = Status.EXPIRED
    release.ended_at = timezone.now()
    release.save()
    gate.grants_sync_for_patient(release.patient_id)
    return release


def releases_sweep(*, now=None) -> dict[str, int]:
    """Expire releases whose date has passed and bring grants up to date (periodic)."""
    now = now or timezone.now()
    due = InformationRelease.objects.filter(
        status__in=[Status.ACTIVE, Status.SIGNED, Status.DRAFT], expires_at__lte=now
    ).values_list("pk", flat=True)
    expired = 0
    for pk in list(due):
        release_expire(release=InformationRelease(pk=pk))
        expired += 1
    # Releases activated ahead of their effective date open now: grant them.
    opened = InformationRelease.objects.filter(
        status=Status.ACTIVE, effective_at__lte=now, effective_at__gt=now - dt.timedelta(days=2)
    ).values_list("patient_id", flat=True)
    patients = set(opened)
    for patient_id in patients:
        gate.grants_sync_for_patient(patient_id, when=now)
    logger.info("release sweep: expired=%s patients_resynced=%s", expired, len(patients))
    return {"expired": expired, "resynced": len(patients)}
