"""Importing an EHR's FHIR medication list: the preview, the choices, all or nothing.

The files under ``data/`` are synthetic lists in the shapes EHRs export (README there).
The recipient persona is the prescriber, the author the therapist (tests/conftest.py).
"""

import datetime as dt
import json
import logging
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from fhir_exchange import services
from fhir_exchange.models import MedicationImport
from medications import services as medication_services
from medications.models import Medication, MedicationChange
from tests.factories import CaseFactory, PatientFactory, on_team

from .fhirkit import export, parse_bundle, resources
from .test_export_gate import client_for, share_everything

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"


def upload(client, patient, content: bytes, name: str = "list.json"):
    return client.post(
        reverse("fhir:import_upload", args=[patient.pk]),
        {"file": SimpleUploadedFile(name, content, content_type="application/json")},
    )


def stage(client, patient, filename: str) -> MedicationImport:
    response = upload(client, patient, (DATA / filename).read_bytes(), filename)
    assert response.status_code == 302, response.content.decode()[:2000]
    preview = MedicationImport.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])
    assert client.get(response["Location"]).status_code == 200
    return preview


def entries(preview: MedicationImport) -> dict[int, dict]:
    return {entry["index"]: entry for entry in preview.entries}


def confirm(client, preview: MedicationImport, chosen: dict[int, str], checked: bool = True):
    data = {"patient_checked": "on"} if checked else {}
    for index, record_as in chosen.items():
        data[f"add_{index}"] = "on"
        data[f"as_{index}"] = record_as
    return client.post(reverse("fhir:import_preview", args=[preview.pk]), data)


@pytest.fixture
def shared(world):
    share_everything(world)
    return world


def test_a_bundle_of_statements_previews_each_entry_and_saves_nothing(shared):
    client = client_for(shared, "recipient")
    preview = stage(client, shared.patient, "ehr-medication-statements.json")
    by_index = entries(preview)
    assert len(by_index) == 3  # the Patient entry is passed over
    sertraline, bupropion, fluoxetine = by_index[1], by_index[2], by_index[3]
    # Matched by the RxNorm ingredient code, and by a brand name.
    assert (sertraline["formulary_name"], sertraline["strength"]) == ("Sertraline", "100 mg")
    assert sertraline["directions"] == "Take 1 tablet by mouth every morning"
    assert sertraline["start_date"] == "2025-03-02"
    assert sertraline["prescriber"] == "Dr. Synthetic Primary (PCP)"
    assert bupropion["formulary_name"] == "Bupropion"
    assert not sertraline["problems"] and not bupropion["problems"]
    assert "not taken now" in " ".join(fluoxetine["problems"])
    assert not Medication.objects.filter(patient=shared.patient).exists()


def test_the_prescriber_adds_the_chosen_medications_to_their_own_list(shared):
    client = client_for(shared, "recipient")
    preview = stage(client, shared.patient, "ehr-medication-statements.json")
    response = confirm(client, preview, {1: "own"})
    assert response.status_code == 302
    (medication,) = Medication.objects.filter(patient=shared.patient)
    assert medication.name == "Sertraline"
    assert medication.formulary_entry.generic_name == "sertraline"
    assert (medication.strength, medication.start_date) == ("100 mg", dt.date(2025, 3, 2))
    assert medication.prescriber == shared.recipient and not medication.patient_reported
    change = medication.changes.get()
    assert change.kind == MedicationChange.Kind.START and "FHIR" in change.reason
    preview.refresh_from_db()
    assert preview.status == MedicationImport.Status.CONFIRMED
    # A second confirmation adds nothing.
    again = confirm(client, preview, {2: "own"})
    assert again.status_code == 200
    assert b"already added" in again.content
    assert Medication.objects.filter(patient=shared.patient).count() == 1


def test_a_file_about_another_patient_needs_the_clinician_s_check(shared):
    client = client_for(shared, "recipient")
    preview = stage(client, shared.patient, "ehr-medication-statements.json")
    assert preview.warnings and "born 1988-02-14" in preview.warnings[0]
    page = client.get(reverse("fhir:import_preview", args=[preview.pk])).content.decode()
    assert "does not look like this patient" in page
    refused = confirm(client, preview, {1: "own"}, checked=False)
    assert refused.status_code == 200
    assert "checked this list is this patient" in refused.content.decode()
    assert not Medication.objects.filter(patient=shared.patient).exists()
    assert confirm(client, preview, {1: "own"}).status_code == 302
    assert Medication.objects.filter(patient=shared.patient).count() == 1


def test_a_file_whose_patient_has_this_mrn_needs_no_check(shared):
    bundle = json.loads((DATA / "ehr-medication-statements.json").read_text())
    bundle["entry"][0]["resource"]["identifier"] = [{"value": shared.patient.mrn}]
    client = client_for(shared, "recipient")
    response = upload(client, shared.patient, json.dumps(bundle).encode())
    preview = MedicationImport.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])
    assert preview.warnings == []
    assert confirm(client, preview, {1: "own"}, checked=False).status_code == 302


def test_the_therapist_records_medication_requests_as_patient_reported(shared):
    client = client_for(shared, "author")
    preview = stage(client, shared.patient, "ehr-medication-requests.json")
    escitalopram, mirtazapine = entries(preview)[1], entries(preview)[2]
    assert escitalopram["formulary_name"] == "Escitalopram"  # a contained Medication
    assert mirtazapine["formulary_name"] == "Mirtazapine"  # a Medication entry
    assert mirtazapine["directions"] == "1 tablet at bedtime"  # from the structured dose
    response = confirm(client, preview, {1: "reported", 2: "reported"})
    assert response.status_code == 302
    added = Medication.objects.filter(patient=shared.patient).order_by("name")
    assert [m.name for m in added] == ["Escitalopram", "Mirtazapine"]
    assert all(m.patient_reported and m.recorded_by == shared.author.user for m in added)
    assert added[0].prescribed_elsewhere_by == "Dr. Synthetic Internist"


def test_a_therapist_cannot_record_an_import_as_a_prescription(shared):
    client = client_for(shared, "author")
    preview = stage(client, shared.patient, "ehr-medication-requests.json")
    response = confirm(client, preview, {1: "own"})
    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert not Medication.objects.filter(patient=shared.patient).exists()


def test_an_unknown_medication_says_so_and_cannot_be_chosen(shared):
    client = client_for(shared, "recipient")
    preview = stage(client, shared.patient, "ehr-unknown-drug.json")
    known, unknown = entries(preview)[1], entries(preview)[2]
    assert not known["problems"]
    assert "formulary does not know" in " ".join(unknown["problems"])
    page = client.get(reverse("fhir:import_preview", args=[preview.pk])).content.decode()
    assert 'name="add_1"' in page and 'name="add_2"' not in page
    # Posting it anyway adds nothing: the form has no such choice, and the service
    # refuses an entry that cannot be added (and then adds none of the others).
    response = confirm(client, preview, {2: "own"})
    assert response.status_code == 200
    assert b"Choose at least one medication" in response.content
    with pytest.raises(ValidationError) as refused:
        services.medication_import_confirm(
            preview=preview, author=shared.recipient.user, choices={1: "own", 2: "own"}
        )
    assert "Entry 2 cannot be added." in refused.value.messages
    assert not Medication.objects.filter(patient=shared.patient).exists()


def test_entries_that_do_not_validate_each_say_why_and_the_valid_one_stays(shared):
    client = client_for(shared, "recipient")
    preview = stage(client, shared.patient, "ehr-invalid.json")
    valid, no_status, bad_status = entries(preview)[1], entries(preview)[2], entries(preview)[3]
    assert not valid["problems"]
    assert "Not valid FHIR R4" in no_status["problems"][0]
    assert "effectiveDateTime" in no_status["problems"][0]
    assert "'taken' is not an R4 MedicationRequest.status code" in bad_status["problems"][0]
    assert valid["start_date"] == ""
    confirm(client, preview, {1: "own"})
    assert Medication.objects.get(patient=shared.patient).start_date == timezone.localdate()


def test_a_medication_already_on_the_list_or_twice_in_the_file_is_a_duplicate(shared):
    medication_services.medication_start(
        patient=shared.patient,
        author=shared.recipient.user,
        name="Sertraline",
        strength="50 mg",
        directions="1 tablet",
    )
    client = client_for(shared, "recipient")
    preview = stage(client, shared.patient, "ehr-duplicate.json")
    zoloft, bupropion, wellbutrin = entries(preview)[1], entries(preview)[2], entries(preview)[3]
    assert "already on the patient's medication list" in zoloft["problems"][0]
    assert not bupropion["problems"]
    assert "listed twice in this file (also entry 2)" in wellbutrin["problems"][0]


def test_the_confirmation_saves_all_chosen_or_nothing(shared):
    client = client_for(shared, "recipient")
    preview = stage(client, shared.patient, "ehr-medication-statements.json")
    # Between the preview and the confirmation, bupropion reaches the list another way.
    medication_services.medication_start(
        patient=shared.patient,
        author=shared.recipient.user,
        name="Bupropion",
        strength="150 mg",
        directions="1 tablet",
    )
    before = set(Medication.objects.values_list("pk", flat=True))
    response = confirm(client, preview, {1: "own", 2: "own"})
    assert response.status_code == 200
    assert "Bupropion" in response.content.decode()
    assert set(Medication.objects.values_list("pk", flat=True)) == before  # no sertraline
    preview.refresh_from_db()
    assert preview.status == MedicationImport.Status.PREVIEW


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not text"),
        (b'{"resourceType": "Patient", "id": "x"}', "not a FHIR medication list"),
        (b'{"resourceType": "Bundle", "type": "collection", "entry": []}', "nothing to import"),
        (b"", "empty"),
    ],
)
def test_a_file_that_is_not_a_medication_list_says_why_and_stages_nothing(shared, content, message):
    response = upload(client_for(shared, "recipient"), shared.patient, content)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert b"errorlist" in response.content
    assert not MedicationImport.objects.exists()


def test_a_file_over_the_size_limit_is_refused(shared, settings):
    settings.FHIR_IMPORT_MAX_BYTES = 1024
    content = (DATA / "ehr-medication-statements.json").read_bytes()
    assert len(content) > 1024
    response = upload(client_for(shared, "recipient"), shared.patient, content)
    assert response.status_code == 200
    assert "larger than 1 KB" in response.content.decode()
    assert not MedicationImport.objects.exists()


@pytest.mark.parametrize("persona", ["clinic_admin", "other_clinic", "other_clinic_admin"])
def test_who_may_not_import_gets_a_logged_404(shared, persona, caplog):
    caplog.set_level(logging.WARNING)
    client = client_for(shared, persona)
    url = reverse("fhir:import_upload", args=[shared.patient.pk])
    assert client.get(url).status_code == 404
    content = (DATA / "ehr-medication-statements.json").read_bytes()
    assert upload(client, shared.patient, content).status_code == 404
    assert not MedicationImport.objects.exists()
    assert any(record.name.startswith("carecollab") for record in caplog.records)


def test_a_preview_is_its_uploader_s_alone(shared):
    preview = stage(client_for(shared, "recipient"), shared.patient, "ehr-unknown-drug.json")
    url = reverse("fhir:import_preview", args=[preview.pk])
    for persona in ("author", "colleague", "clinic_admin", "other_clinic"):
        client = client_for(shared, persona)
        assert client.get(url).status_code == 404, persona
        assert confirm(client, preview, {1: "own"}).status_code == 404, persona
    assert not Medication.objects.exists()


def test_an_expired_preview_is_closed(shared):
    client = client_for(shared, "recipient")
    preview = stage(client, shared.patient, "ehr-medication-statements.json")
    # Uploaded 25 hours ago (the default limit is 24).
    MedicationImport.objects.filter(pk=preview.pk).update(
        uploaded_at=timezone.now() - dt.timedelta(hours=25)
    )
    response = confirm(client, preview, {1: "own"})
    assert response.status_code == 200
    assert b"expired" in response.content
    assert not Medication.objects.exists()


def test_the_project_s_own_export_imports_back_as_the_same_current_medications(shared, world):
    """Round trip: export a patient, import the Bundle into a new patient's empty list,
    export that one, and compare the current medications."""
    medication = medication_services.medication_start(
        patient=shared.patient,
        author=shared.recipient.user,
        name="Sertraline",
        strength="50 mg",
        directions="1 tablet in the morning",
        frequency="once daily",
        start_date=timezone.localdate() - dt.timedelta(days=60),
    )
    medication_services.medication_change_dose(
        medication=medication,
        author=shared.recipient.user,
        kind="increase",
        strength="100 mg",
        directions="1 tablet (100 mg) in the morning",
        effective_on=timezone.localdate() - dt.timedelta(days=20),
    )
    medication_services.medication_start(
        patient=shared.patient,
        author=shared.recipient.user,
        name="Lamotrigine",
        strength="25 mg",
        directions="1 tablet at night",
        start_date=timezone.localdate() - dt.timedelta(days=10),
    )
    client = client_for(shared, "recipient")
    original = export(client, shared.patient).content

    other = PatientFactory(clinic=shared.clinic)
    on_team(CaseFactory(patient=other), shared.recipient)
    response = upload(client, other, original, "export.json")
    assert response.status_code == 302
    preview = MedicationImport.objects.get(patient=other)
    addable = {e["index"]: "own" for e in preview.entries if not e["problems"]}
    assert len(addable) == 2  # the two current ones; the 50 mg period is history
    assert confirm(client, preview, addable).status_code == 302

    def current(content):
        bundle = parse_bundle(content)
        return sorted(
            (
                r["medicationCodeableConcept"]["text"],
                r["medicationCodeableConcept"].get("coding"),
                r["dosage"][0].get("text"),
                r["dosage"][0]["route"]["coding"][0]["code"],
                r["effectivePeriod"]["start"],
            )
            for r in resources(bundle, "MedicationStatement")
            if r["status"] == "active"
        )

    assert current(export(client, other).content) == current(original)
    assert json.loads(original)["entry"]  # the original export was not empty


def test_the_upload_page_and_the_preview_read_well(shared):
    client = client_for(shared, "author")
    page = client.get(reverse("fhir:import_upload", args=[shared.patient.pk]))
    assert page.status_code == 200
    assert b'enctype="multipart/form-data"' in page.content
    preview = stage(client, shared.patient, "ehr-medication-requests.json")
    body = client.get(reverse("fhir:import_preview", args=[preview.pk])).content.decode()
    assert "Escitalopram" in body and "Dr. Synthetic Internist" in body
    assert "Patient-reported" in body
