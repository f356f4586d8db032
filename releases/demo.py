"""Demo releases: active mutual releases for most shared patients, and one each awaiting
signature, revoked and expired. Every name is synthetic."""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cases.categories import Category

from . import services
from .models import InformationRelease

ACTIVE = ("alex", "blair", "casey", "drew", "emery")


def demo_signed_pdf() -> SimpleUploadedFile:
    """A tiny, valid PDF standing in for a scanned signature page."""
    body = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )
    return SimpleUploadedFile("signed-release.pdf", body, content_type="application/pdf")


def _release(context, key, *, effective_on, expires_on=None, event="") -> InformationRelease:
    clinicians = context["clinicians"]
    return services.release_create(
        actor=clinicians["clinicadmin"].user,
        patient=context["patients"][key],
        discloser_clinician=clinicians["therapist"],
        recipient=clinicians["prescriber"],
        mutual=True,
        scope=list(Category.values),
        purpose="Coordination of medication therapy between therapist and prescriber",
        effective_on=effective_on,
        expires_on=expires_on,
        expiration_event=event,
    )


def _sign(release: InformationRelease, signed_on) -> InformationRelease:
    patient = release.patient
    return services.release_record_signature(
        release=release,
        signer_name=f"{patient.given_name} {patient.family_name}",
        signer_relationship=InformationRelease.Relationship.SELF,
        signed_on=signed_on,
        document=demo_signed_pdf(),
        ack_right_to_revoke=True,
        ack_treatment_not_conditioned=True,
        ack_redisclosure=True,
    )


def seed(context: dict) -> None:
    """Releases in every state (once)."""
    patients = context["patients"]
    if InformationRelease.objects.filter(patient__in=patients.values()).exists():
        context["releases"] = {
            r.patient_id: r
            for r in InformationRelease.objects.filter(patient__in=patients.values())
        }
        return
    admin = context["clinicians"]["clinicadmin"].user
    today = timezone.localdate()
    start = today - dt.timedelta(days=180)
    for key in ACTIVE:
        # Emery's release runs out within 30 days, so "expiring" has something to show.
        days = 20 if key == "emery" else 185
        release = _release(
            context, key, effective_on=start, expires_on=today + dt.timedelta(days=days)
        )
        _sign(release, start)
        services.release_activate(release=release, actor=admin)

    _release(context, "finley", effective_on=today, event="End of treatment with the prescriber")

    gale = _release(context, "gale", effective_on=start, expires_on=today + dt.timedelta(days=200))
    _sign(gale, start)
    services.release_activate(release=gale, actor=admin)
    services.release_revoke(
        release=gale, actor=admin, reason="Synthetic demo: the patient revoked it in writing."
    )

    harper = _release(
        context,
        "harper",
        effective_on=today - dt.timedelta(days=400),
        expires_on=today - dt.timedelta(days=5),
    )
    _sign(harper, today - dt.timedelta(days=400))
    services.release_expire(release=harper)
