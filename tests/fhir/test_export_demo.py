"""The issue's done-when, on the demo clinic: Alex exported as the prescriber holds his
medications with their changes over time, his PHQ-9 scores and his releases; the
outsider gets a 404; the clinic admin's export holds no clinical resource."""

import json
import logging

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from assessments.models import Assessment
from cases.models import Patient
from fhir_exchange import codes
from medications.models import Medication, MedicationChange
from releases.models import InformationRelease

from .fhirkit import export, parse_bundle, references, resources, types_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("seed_demo", verbosity=0)
    return Patient.objects.get(mrn="DEMO-1001")


def client_of(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def test_alex_as_prescriber_holds_his_medications_changes_scores_and_releases(demo):
    response = export(client_of("prescriber"), demo)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    bundle = parse_bundle(response.content)
    assert bundle["type"] == "searchset"
    assert bundle["total"] == len(bundle["entry"])

    (patient,) = resources(bundle, "Patient")
    assert patient["name"][0]["family"] == "Testwell"
    assert patient["birthDate"] == "1990-04-12"
    assert patient["identifier"][0]["value"] == "DEMO-1001"
    assert patient["identifier"][0]["type"]["coding"][0]["code"] == "MR"

    # Sertraline 50 mg, then increased to 100 mg: two statements over time.
    statements = resources(bundle, "MedicationStatement")
    sertraline = sorted(
        (s for s in statements if "Sertraline" in s["medicationCodeableConcept"]["text"]),
        key=lambda s: s["effectivePeriod"]["start"],
    )
    # (Alex's increase to 150 mg was entered in error: no dose period.)
    increase = MedicationChange.objects.in_effect().get(medication__patient=demo, kind="increase")
    assert [s["medicationCodeableConcept"]["text"] for s in sertraline] == [
        "Sertraline 50 mg",
        "Sertraline 100 mg",
    ]
    assert [s["status"] for s in sertraline] == ["completed", "active"]
    assert sertraline[0]["effectivePeriod"]["end"] == increase.effective_on.isoformat()
    assert sertraline[1]["effectivePeriod"]["start"] == increase.effective_on.isoformat()
    assert "end" not in sertraline[1]["effectivePeriod"]
    assert any("Dose increased" in note["text"] for note in sertraline[1]["note"])
    assert sertraline[1]["dosage"][0]["route"]["coding"][0]["code"] == "26643006"

    # Every PHQ-9 score, coded LOINC 44261-6 with its band, and its answers.
    phq9 = [
        o
        for o in resources(bundle, "Observation")
        if o["code"]["coding"][0] == {"system": codes.LOINC, "code": "44261-6", **_display()}
    ]
    scores = Assessment.objects.filter(case__patient=demo, scale="PHQ-9")
    assert sorted(o["valueQuantity"]["value"] for o in phq9) == sorted(
        scores.values_list("total", flat=True)
    )
    assert len(phq9) >= 3
    assert all(
        o["interpretation"][0]["coding"][0]["system"] == codes.ASSESSMENT_BANDS for o in phq9
    )
    answers = {r["id"]: r for r in resources(bundle, "QuestionnaireResponse")}
    first = answers[phq9[0]["derivedFrom"][0]["reference"].split("/")[1]]
    assert first["questionnaire"] == "http://loinc.org/q/44249-1"
    assert [item["linkId"] for item in first["item"][:2]] == ["44250-9", "44255-8"]

    # The releases: one Consent each, with its state.
    consents = resources(bundle, "Consent")
    assert {c["id"] for c in consents} == {
        str(pk)
        for pk in InformationRelease.objects.filter(patient=demo).values_list("pk", flat=True)
    }
    assert {c["status"] for c in consents} == {"active"}

    # Every reference inside the bundle resolves to an entry of the bundle.
    present = {f"{r['resourceType']}/{r['id']}" for r in resources(bundle)}
    for resource in resources(bundle):
        for reference in references(resource):
            assert reference in present, f"{resource['resourceType']} -> {reference}"


def _display():
    return {"display": "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]"}


def test_the_download_is_the_same_bundle_as_an_attachment(demo):
    client = client_of("prescriber")
    download = export(client, demo, everything=False)
    assert download.status_code == 200
    assert download["Content-Type"].startswith("application/fhir+json")
    assert download["Content-Disposition"].startswith("attachment;")
    assert "Testwell" not in download["Content-Disposition"]
    everything = export(client, demo)
    assert "Content-Disposition" not in everything
    one, other = json.loads(download.content), json.loads(everything.content)
    assert [e["fullUrl"] for e in one["entry"]] == [e["fullUrl"] for e in other["entry"]]


def test_the_therapist_never_exports_the_private_process_note(demo):
    response = export(client_of("therapist"), demo)
    body = response.content.decode()
    parse_bundle(response.content)
    assert "private process note" not in body
    private = demo.cases.get().observations.filter(shared=False).values_list("pk", flat=True)
    assert private
    ids = {r["id"] for r in resources(json.loads(body), "Observation")}
    assert not ids & {f"observation-{pk}" for pk in private}


def test_the_outsider_gets_a_logged_404_like_for_a_missing_patient(demo, caplog):
    caplog.set_level(logging.WARNING)
    client = client_of("outsider")
    hidden = export(client, demo)
    missing = client.get(f"/fhir/Patient/{Patient.objects.order_by('-pk')[0].pk + 99}/$everything")
    assert hidden.status_code == 404 == missing.status_code
    assert b"Testwell" not in hidden.content
    assert any("gate refused" in record.getMessage() for record in caplog.records)
    download = export(client, demo, everything=False)
    assert download.status_code == 404


def test_the_clinic_admin_export_holds_no_clinical_resource(demo):
    response = export(client_of("clinicadmin"), demo)
    assert response.status_code == 200
    bundle = parse_bundle(response.content)
    assert types_in(bundle) == {"Patient", "Practitioner", "CareTeam", "Consent"}
    body = response.content.decode()
    assert "Sertraline" not in body
    assert Medication.objects.filter(patient=demo).exists()
