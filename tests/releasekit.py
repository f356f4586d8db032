"""Helpers to put releases into each state through the services."""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cases.categories import Category
from releases import services
from releases.models import InformationRelease

from .factories import setting_the_scene

PDF = b"%PDF-1.4\n% synthetic test document\n%%EOF\n"


def pdf(name: str = "signed.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def make_release(
    *,
    admin,
    patient,
    discloser,
    recipient,
    state: str = "active",
    scope=(Category.OBSERVATIONS,),
    mutual: bool = False,
    by_clinic: bool = False,
    effective_on=None,
    expires_on=None,
) -> InformationRelease:
    """A release from ``discloser`` to ``recipient`` in ``state``: draft, signed, active,
    revoked, expired (marked by the sweep) or lapsed (past its date, sweep not run)."""
    today = timezone.localdate()
    effective_on = effective_on or today - dt.timedelta(days=30)
    if expires_on is None:
        expires_on = today + dt.timedelta(days=90)
    with setting_the_scene():
        release = services.release_create(
            actor=admin,
            patient=patient,
            discloser_clinician=None if by_clinic else discloser,
            discloser_clinic=discloser.clinic if by_clinic else None,
            recipient=recipient,
            mutual=mutual,
            scope=list(scope),
            purpose="Coordination of care",
            effective_on=effective_on,
            expires_on=expires_on,
        )
    if state == "draft":
        return release
    release = services.release_record_signature(
        release=release,
        signer_name="Synthetic Signer",
        signer_relationship=InformationRelease.Relationship.SELF,
        signed_on=min(effective_on, today),
        document=pdf(),
        ack_right_to_revoke=True,
        ack_treatment_not_conditioned=True,
        ack_redisclosure=True,
    )
    if state == "signed":
        return release
    release = services.release_activate(release=release, actor=admin)
    if state == "active":
        return release
    if state == "revoked":
        return services.release_revoke(release=release, actor=admin, reason="Patient revoked")
    if state == "expired":
        return services.release_expire(release=release)
    if state == "lapsed":
        # Its date passed and the sweep has not run: still "active" in the table, but the
        # read-time check must already refuse it.
        InformationRelease.objects.filter(pk=release.pk).update(
            expires_at=services.start_of_day(today - dt.timedelta(days=1)),
        )
        release.refresh_from_db()
        return release
    raise ValueError(state)


def share(
    world,
    *,
    patient=None,
    recipient=None,
    state: str = "active",
    scope=tuple(Category.values),
    effective_on=None,
    expires_on=None,
) -> InformationRelease:
    """A mutual release between the world's therapist (``author``) and its prescriber
    (``recipient``, or another), for the world's patient (or another), covering every
    category unless told."""
    return make_release(
        admin=world.clinic_admin.user,
        patient=patient or world.patient,
        discloser=world.author,
        recipient=recipient or world.recipient,
        state=state,
        scope=scope,
        mutual=True,
        effective_on=effective_on,
        expires_on=expires_on,
    )
