"""The release lifecycle through its services, and its refusals."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cases.categories import Category
from releases import services
from releases.models import InformationRelease
from tests.releasekit import make_release, pdf

pytestmark = pytest.mark.django_db

Status = InformationRelease.Status


def draft(world, **overrides):
    fields = {
        "actor": world.clinic_admin.user,
        "patient": world.patient,
        "discloser_clinician": world.author,
        "recipient": world.recipient,
        "scope": [Category.OBSERVATIONS],
        "purpose": "Coordination of care",
        "effective_on": timezone.localdate(),
        "expires_on": timezone.localdate() + dt.timedelta(days=90),
    }
    return services.release_create(**{**fields, **overrides})


def sign(release, **overrides):
    fields = {
        "release": release,
        "signer_name": "Synthetic Signer",
        "signer_relationship": InformationRelease.Relationship.SELF,
        "signed_on": timezone.localdate(),
        "document": pdf(),
        "ack_right_to_revoke": True,
        "ack_treatment_not_conditioned": True,
        "ack_redisclosure": True,
    }
    return services.release_record_signature(**{**fields, **overrides})


def test_a_release_goes_from_draft_to_signed_to_active_to_revoked(world):
    release = draft(world)
    assert release.status == Status.DRAFT
    release = sign(release)
    assert release.status == Status.SIGNED
    assert release.signed_document.name.endswith(".pdf")
    release = services.release_activate(release=release, actor=world.clinic_admin.user)
    assert release.status == Status.ACTIVE
    assert release.is_active_at(timezone.now())
    release = services.release_revoke(
        release=release, actor=world.clinic_admin.user, reason="Patient revoked in writing"
    )
    assert release.status == Status.REVOKED
    assert release.revoked_by == world.clinic_admin.user
    assert release.revocation_reason == "Patient revoked in writing"
    assert release.ended_at is not None


def test_activating_without_a_signature_or_document_is_refused(world):
    release = draft(world)
    with pytest.raises(ValidationError, match="Record the signature and upload"):
        services.release_activate(release=release, actor=world.clinic_admin.user)
    assert InformationRelease.objects.get(pk=release.pk).status == Status.DRAFT


def test_a_revoked_release_cannot_be_reactivated(world):
    release = make_release(
        admin=world.clinic_admin.user,
        patient=world.patient,
        discloser=world.author,
        recipient=world.recipient,
        state="revoked",
    )
    with pytest.raises(ValidationError, match="revoked release cannot be reactivated"):
        services.release_activate(release=release, actor=world.clinic_admin.user)
    assert InformationRelease.objects.get(pk=release.pk).status == Status.REVOKED


def test_an_expired_release_cannot_be_reactivated(world):
    release = make_release(
        admin=world.clinic_admin.user,
        patient=world.patient,
        discloser=world.author,
        recipient=world.recipient,
        state="expired",
    )
    with pytest.raises(ValidationError, match="expired release cannot be reactivated"):
        services.release_activate(release=release, actor=world.clinic_admin.user)


@pytest.mark.parametrize(
    "change",
    [
        {"scope": [Category.OBSERVATIONS, Category.MEDICATIONS]},
        {"recipient": "colleague"},
        {"mutual": True},
    ],
)
def test_the_scope_and_parties_of_a_signed_release_cannot_change(world, change):
    release = sign(draft(world))
    if change.get("recipient") == "colleague":
        change = {"recipient": world.colleague}
    with pytest.raises(ValidationError, match="A signed release cannot be changed"):
        services.release_update_draft(release=release, **change)
    release.refresh_from_db()
    assert release.scope == [Category.OBSERVATIONS]
    assert release.recipient == world.recipient
    assert release.mutual is False


def test_a_draft_can_still_change(world):
    release = draft(world)
    release = services.release_update_draft(
        release=release, scope=[Category.MEDICATIONS, Category.MESSAGES], mutual=True
    )
    assert release.scope == [Category.MEDICATIONS, Category.MESSAGES]
    assert release.mutual


def test_an_expiration_before_the_effective_date_is_refused(world):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as error:
        draft(world, effective_on=today, expires_on=today - dt.timedelta(days=1))
    assert "cannot expire before its effective date" in str(error.value)
    assert not InformationRelease.objects.exists()


def test_an_expiration_date_or_event_is_required(world):
    with pytest.raises(ValidationError, match="expiration date or an expiration event"):
        draft(world, expires_on=None, expiration_event="")
    release = draft(world, expires_on=None, expiration_event="End of treatment")
    assert release.expires_at is None


def test_psychotherapy_notes_cannot_be_in_scope(world):
    with pytest.raises(TypeError):
        InformationRelease(scope_psychotherapy_notes=True)
    assert "psychotherapy" not in " ".join(Category.values)


def test_at_least_one_category_is_required(world):
    with pytest.raises(ValidationError, match="at least one kind of information"):
        draft(world, scope=[])


def test_signing_requires_the_three_statements(world):
    release = draft(world)
    with pytest.raises(ValidationError, match="confirm all three"):
        sign(release, ack_redisclosure=False)
    assert InformationRelease.objects.get(pk=release.pk).status == Status.DRAFT


def test_a_legal_representative_must_describe_their_authority(world):
    release = draft(world)
    with pytest.raises(ValidationError) as error:
        sign(release, signer_relationship=InformationRelease.Relationship.REPRESENTATIVE)
    assert "representative_authority" in error.value.message_dict
    release = sign(
        release,
        signer_relationship=InformationRelease.Relationship.REPRESENTATIVE,
        representative_authority="Court-appointed guardian (synthetic order 123)",
    )
    assert release.status == Status.SIGNED


def test_a_clinic_admin_cannot_receive_clinical_information(world):
    with pytest.raises(ValidationError, match="clinic admin cannot receive"):
        draft(world, recipient=world.clinic_admin)


def test_parties_must_belong_to_the_patients_clinic(world):
    with pytest.raises(ValidationError, match="recipient must be a clinician of the patient"):
        draft(world, recipient=world.other_clinic)


def test_an_expiry_instant_is_the_end_of_the_expiration_date(world):
    today = timezone.localdate()
    release = draft(world, effective_on=today, expires_on=today)
    start = services.start_of_day(today)
    assert release.effective_at == start
    assert release.expires_at == start + dt.timedelta(days=1)


def test_the_sweep_expires_releases_whose_date_passed_and_removes_their_grants(world):
    from cases.models import ObservationUserObjectPermission
    from tests.factories import observation

    observation(world.case, world.author.user)
    release = make_release(
        admin=world.clinic_admin.user,
        patient=world.patient,
        discloser=world.author,
        recipient=world.recipient,
        state="lapsed",
    )
    grants = ObservationUserObjectPermission.objects.filter(user=world.recipient.user)
    assert grants.count() == 1  # granted on activation, before the date passed
    assert InformationRelease.objects.get(pk=release.pk).status == Status.ACTIVE
    result = services.releases_sweep()
    assert result["expired"] == 1
    assert InformationRelease.objects.get(pk=release.pk).status == Status.EXPIRED
    assert not ObservationUserObjectPermission.objects.filter(user=world.recipient.user).exists()
