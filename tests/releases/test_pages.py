"""The clinic admin's release pages: list, create, sign and upload, activate, revoke,
print, preview and the accounting of disclosures. No clinical text on any of them."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cases.categories import Category
from releases.models import InformationRelease
from tests.factories import PatientFactory, count_queries, observation
from tests.releasekit import PDF, make_release

pytestmark = pytest.mark.django_db

Status = InformationRelease.Status
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def admin_client(client, world):
    client.force_login(world.clinic_admin.user)
    return client


def create_form(world, **overrides):
    today = timezone.localdate()
    data = {
        "patient": world.patient.pk,
        "discloser_kind": "clinician",
        "discloser_clinician": world.author.pk,
        "recipient": world.recipient.pk,
        "scope": [Category.OBSERVATIONS, Category.MEDICATIONS],
        "purpose": "Coordination of care",
        "effective_on": today.isoformat(),
        "expires_on": (today + dt.timedelta(days=180)).isoformat(),
        "expiration_event": "",
    }
    data.update(overrides)
    return data


def sign_form(document, **overrides):
    data = {
        "signer_name": "Synthetic Signer",
        "signer_relationship": "self",
        "signed_on": timezone.localdate().isoformat(),
        "signed_document": document,
        "ack_right_to_revoke": "on",
        "ack_treatment_not_conditioned": "on",
        "ack_redisclosure": "on",
    }
    data.update(overrides)
    return data


def test_the_admin_creates_signs_and_activates_a_release(admin_client, world):
    response = admin_client.post(reverse("releases:create"), create_form(world))
    assert response.status_code == 302
    release = InformationRelease.objects.get()
    assert release.status == Status.DRAFT
    assert release.scope == [Category.MEDICATIONS, Category.OBSERVATIONS]

    document = SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf")
    response = admin_client.post(reverse("releases:sign", args=[release.pk]), sign_form(document))
    assert response.status_code == 302
    release.refresh_from_db()
    assert release.status == Status.SIGNED
    assert release.document_content_type == "application/pdf"

    response = admin_client.post(reverse("releases:activate", args=[release.pk]), follow=True)
    assert b"Release activated" in response.content
    release.refresh_from_db()
    assert release.status == Status.ACTIVE


def test_an_expiration_before_the_effective_date_is_refused_on_the_form(admin_client, world):
    today = timezone.localdate()
    response = admin_client.post(
        reverse("releases:create"),
        create_form(world, expires_on=(today - dt.timedelta(days=3)).isoformat()),
    )
    assert response.status_code == 200
    assert b"cannot expire before its effective date" in response.content
    assert not InformationRelease.objects.exists()


def test_a_release_for_another_clinics_patient_cannot_be_created(admin_client, world):
    stranger = PatientFactory(clinic=world.other)
    response = admin_client.post(
        reverse("releases:create"), create_form(world, patient=stranger.pk)
    )
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    assert not InformationRelease.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.txt", b"just some text", b"Upload the signed release as a PDF, PNG or JPEG"),
        (
            "fake.pdf",
            b"MZ\x90\x00 an executable",
            b"Upload the signed release as a PDF, PNG or JPEG",
        ),
        ("scan.pdf", PNG, b"does not match its content"),
        ("empty.pdf", b"", b"The submitted file is empty"),
    ],
)
def test_a_wrong_document_is_refused_and_changes_nothing(
    admin_client, world, name, content, message
):
    release = make_release(
        admin=world.clinic_admin.user,
        patient=world.patient,
        discloser=world.author,
        recipient=world.recipient,
        state="draft",
    )
    document = SimpleUploadedFile(name, content)
    response = admin_client.post(reverse("releases:sign", args=[release.pk]), sign_form(document))
    assert response.status_code == 200
    assert message in response.content
    release.refresh_from_db()
    assert release.status == Status.DRAFT
    assert not release.signed_document


def test_a_too_large_document_is_refused(admin_client, world, settings):
    settings.SIGNED_DOCUMENT_MAX_BYTES = 1024 * 1024
    release = make_release(
        admin=world.clinic_admin.user,
        patient=world.patient,
        discloser=world.author,
        recipient=world.recipient,
        state="draft",
    )
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * (1024 * 1024 + 1))
    response = admin_client.post(reverse("releases:sign", args=[release.pk]), sign_form(big))
    assert response.status_code == 200
    assert b"larger than 1 MB" in response.content
    release.refresh_from_db()
    assert release.status == Status.DRAFT


def test_signed_documents_are_stored_outside_the_web_roots(admin_client, world, settings):
    release = make_release(
        admin=world.clinic_admin.user,
        patient=world.patient,
        discloser=world.author,
        recipient=world.recipient,
        state="signed",
    )
    path = release.signed_document.path
    assert str(settings.STATIC_ROOT) not in path
    assert not any(path.startswith(str(folder)) for folder in settings.STATICFILES_DIRS)
    assert world.patient.family_name not in path
    # No URL serves the folder: only releases:document, which checks who asks.
    assert admin_client.get("/" + release.signed_document.name).status_code == 404
    assert admin_client.get("/static/" + release.signed_document.name).status_code == 404


def test_the_document_downloads_for_the_admin_with_its_type(admin_client, world):
    release = make_release(
        admin=world.clinic_admin.user,
        patient=world.patient,
        discloser=world.author,
        recipient=world.recipient,
        state="active",
    )
    response = admin_client.get(reverse("releases:document", args=[release.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]  # among the never-cache headers
    assert b"".join(response.streaming_content) == PDF


def test_revoking_needs_a_reason(admin_client, world):
    release = make_release(
        admin=world.clinic_admin.user,
        patient=world.patient,
        discloser=world.author,
        recipient=world.recipient,
        state="active",
    )
    response = admin_client.post(reverse("releases:revoke", args=[release.pk]), {"reason": " "})
    assert response.status_code == 200
    assert b"This field is required" in response.content
    release.refresh_from_db()
    assert release.status == Status.ACTIVE
    response = admin_client.post(
        reverse("releases:revoke", args=[release.pk]), {"reason": "Patient revoked"}
    )
    assert response.status_code == 302
    release.refresh_from_db()
    assert release.status == Status.REVOKED


def test_activating_twice_says_so_instead_of_failing(admin_client, world):
    release = make_release(
        admin=world.clinic_admin.user,
        patient=world.patient,
        discloser=world.author,
        recipient=world.recipient,
        state="active",
    )
    response = admin_client.post(reverse("releases:activate", args=[release.pk]), follow=True)
    assert response.status_code == 200
    assert b"already active" in response.content


def test_the_list_filters_by_state_and_searches_by_patient(admin_client, world):
    admin = world.clinic_admin.user
    common = {"admin": admin, "discloser": world.author, "recipient": world.recipient}
    active = make_release(patient=world.patient, state="active", **common)
    other = PatientFactory(clinic=world.clinic, family_name="Zedsearchable")
    awaiting = make_release(patient=other, state="draft", **common)
    expiring = make_release(
        patient=other,
        state="active",
        expires_on=timezone.localdate() + dt.timedelta(days=10),
        **common,
    )
    revoked = make_release(patient=world.patient, state="revoked", **common)

    def listed(**params):
        response = admin_client.get(reverse("releases:list"), params)
        assert response.status_code == 200
        return {release.pk for release in response.context["page"]}

    assert listed(state="awaiting") == {awaiting.pk}
    assert listed(state="active") == {active.pk, expiring.pk}
    assert listed(state="expiring") == {expiring.pk}
    assert listed(state="revoked") == {revoked.pk}
    assert listed(q="Zedsearch") == {awaiting.pk, expiring.pk}
    assert listed(state="nonsense") == {active.pk, awaiting.pk, expiring.pk, revoked.pk}


def test_the_list_costs_the_same_queries_for_few_and_many(admin_client, world):
    common = {
        "admin": world.clinic_admin.user,
        "discloser": world.author,
        "recipient": world.recipient,
    }
    make_release(patient=world.patient, state="active", **common)
    admin_client.get(reverse("releases:list"))  # warm caches (content types, session)
    few = count_queries(lambda: admin_client.get(reverse("releases:list")))
    for _ in range(15):
        make_release(patient=PatientFactory(clinic=world.clinic), state="draft", **common)
    many = count_queries(lambda: admin_client.get(reverse("releases:list")))
    assert few == many


def test_the_print_view_holds_every_element_and_statement(admin_client, world):
    release = make_release(
        admin=world.clinic_admin.user,
        patient=world.patient,
        discloser=world.author,
        recipient=world.recipient,
        state="draft",
    )
    content = admin_client.get(reverse("releases:print", args=[release.pk])).content.decode()
    for text in [
        world.patient.family_name,
        str(world.author),
        str(world.recipient),
        "Observations",
        "Coordination of care",
        "Right to revoke",
        "Treatment is not conditioned on signing",
        "Possible redisclosure",
        "Psychotherapy notes are not included",
        "Signature",
    ]:
        assert text in content, text


def test_the_preview_shows_counts_and_dates_but_no_clinical_text(admin_client, world):
    release = make_release(
        admin=world.clinic_admin.user,
        patient=world.patient,
        discloser=world.author,
        recipient=world.recipient,
        state="draft",
    )
    for days in (30, 10):
        observation(
            world.case,
            world.author.user,
            body="SECRET-CLINICAL-TEXT",
            observed_on=timezone.localdate() - dt.timedelta(days=days),
        )
    observation(world.case, world.author.user, shared=False, body="PRIVATE-TEXT")
    response = admin_client.get(reverse("releases:preview", args=[release.pk]))
    rows = response.context["rows"]
    observations = next(row for row in rows if row["category"] == Category.OBSERVATIONS)
    assert observations["count"] == 2  # the private note is never released
    assert observations["first"] == timezone.localdate() - dt.timedelta(days=30)
    assert observations["last"] == timezone.localdate() - dt.timedelta(days=10)
    assert b"SECRET-CLINICAL-TEXT" not in response.content
    assert b"PRIVATE-TEXT" not in response.content
