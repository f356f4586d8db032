"""The sample export in docs/ is a valid FHIR R4 Bundle of the demo's Alex, as the
README says (synthetic data only)."""

from pathlib import Path

from fhir_exchange import codes

from .fhirkit import codes_of, parse_bundle, resources

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "fhir-sample-export.json"


def test_the_sample_export_is_the_demo_s_alex_and_validates():
    bundle = parse_bundle(SAMPLE.read_bytes())
    (patient,) = resources(bundle, "Patient")
    assert patient["identifier"][0]["value"] == "DEMO-1001"
    assert "36437" in codes_of(resources(bundle, "MedicationStatement"), codes.RXNORM)
    assert "44261-6" in codes_of(resources(bundle, "Observation"), codes.LOINC)
    assert resources(bundle, "Consent") and resources(bundle, "QuestionnaireResponse")
    assert "private process note" not in SAMPLE.read_text()
