"""FHIR in real Chromium on the demo clinic: the therapist imports an EHR's medication
list into Alex's page (preview, choice, confirmation), and the prescriber downloads
Alex's export. Screenshots at a laptop's and a phone's size are kept in test-artifacts/.
"""

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from fhir_exchange.validation import validate_resource

from .conftest import ARTIFACTS, open_menu, shot, sign_in, sign_out

pytestmark = pytest.mark.browser

DATA = Path(__file__).resolve().parents[1] / "fhir" / "data"
SIZES = {"laptop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def open_alex(page) -> None:
    open_menu(page)
    page.get_by_role("link", name="My patients").click()
    page.get_by_role("link", name="Testwell, Alex").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Alex Testwell")


@pytest.mark.parametrize("size", ["laptop", "phone"])
def test_the_therapist_imports_an_ehr_list_with_a_preview(page, demo, size):
    page.set_viewport_size(SIZES[size])
    sign_in(page, demo, "therapist")
    open_alex(page)
    actions = page.locator("#patient-actions")
    expect(actions.get_by_role("link", name="Export (FHIR)")).to_be_visible()
    shot(page, f"fhir-1-patient-page-{size}")
    # The top of the page, as it first shows: where the actions are.
    page.screenshot(path=str(ARTIFACTS / f"fhir-1-patient-actions-{size}.png"))
    actions.get_by_role("link", name="Import medications (FHIR)").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Import a medication list")
    page.get_by_label("FHIR medication list (JSON)").set_input_files(
        str(DATA / "ehr-medication-requests.json")
    )
    shot(page, f"fhir-2-upload-{size}")
    page.get_by_role("button", name="Read the list").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Medications to import")
    first = page.locator("#entry-1")
    expect(first).to_contain_text("Escitalopram")
    expect(first).to_contain_text("Dr. Synthetic Internist")
    shot(page, f"fhir-3-preview-{size}")
    first.get_by_label("Add").check()
    page.get_by_role("button", name="Add the chosen medications").click()
    expect(page.locator(".messages")).to_contain_text("1 medication(s) added")
    expect(page.get_by_text("Escitalopram").first).to_be_visible()
    shot(page, f"fhir-4-added-{size}")
    sign_out(page)


def test_the_prescriber_downloads_alex_s_export(page, demo):
    page.set_viewport_size(SIZES["laptop"])
    sign_in(page, demo, "prescriber")
    open_alex(page)
    with page.expect_download() as download_info:
        page.locator("#patient-actions").get_by_role("link", name="Export (FHIR)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".fhir.json")
    bundle = json.loads(Path(download.path()).read_text())
    validate_resource(bundle)
    kinds = {entry["resource"]["resourceType"] for entry in bundle["entry"]}
    assert {"Patient", "MedicationStatement", "Observation", "Consent"} <= kinds
