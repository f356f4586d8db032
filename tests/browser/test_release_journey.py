"""The release journey in real Chromium: the clinic admin records and activates a
release, the prescriber then sees the therapist's shared observations; after the admin
revokes it the prescriber sees none, and the accounting shows what was seen before."""

import pytest

from cases.models import Patient
from tests.releasekit import PDF

from .conftest import shot, sign_in, sign_out

pytestmark = pytest.mark.browser


def open_finley(page, server):
    # Finley's release awaits signature in the demo data.
    finley = Patient.objects.get(mrn="DEMO-1006")
    page.goto(f"{server.url}/cases/patients/{finley.pk}/")
    return finley


def test_admin_activates_then_revokes_and_the_prescriber_sees_then_does_not(page, demo, tmp_path):
    scan = tmp_path / "signed-release.pdf"
    scan.write_bytes(PDF)

    sign_in(page, demo, "clinicadmin")
    page.get_by_role("link", name="Releases").first.click()
    page.get_by_role("link", name="Awaiting signature").click()
    page.get_by_role("searchbox").fill("Synthetic")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Synthetic, Finley").click()
    page.get_by_role("link", name="Record signature").click()
    page.get_by_label("Signed by").fill("Finley Synthetic")
    page.get_by_label("Signature date").fill("2026-11-01")
    page.get_by_label("Signed document (PDF, PNG or JPEG)").set_input_files(str(scan))
    page.get_by_label("The form states the right to revoke").check()
    page.get_by_label("The form states that treatment is not conditioned").check()
    page.get_by_label("The form states that disclosed information may be").check()
    page.get_by_role("button", name="Record signature").click()
    page.get_by_role("button", name="Activate").click()
    assert page.get_by_text("Release activated").is_visible()
    release_url = page.url
    shot(page, "release-activated")
    sign_out(page)

    sign_in(page, demo, "prescriber")
    open_finley(page, demo)
    seen = page.locator("ul.timeline li.observation").count()
    assert seen >= 1
    shot(page, "release-prescriber-sees")
    sign_out(page)

    sign_in(page, demo, "clinicadmin")
    page.goto(release_url)
    page.get_by_role("link", name="Revoke").click()
    page.get_by_label("Why is the release revoked?").fill("Synthetic: patient revoked in writing")
    page.get_by_role("button", name="Revoke now").click()
    assert page.get_by_text("Access ended now").is_visible()
    sign_out(page)

    sign_in(page, demo, "prescriber")
    open_finley(page, demo)
    assert page.locator("ul.timeline li.observation").count() == 0
    shot(page, "release-prescriber-sees-none")
    sign_out(page)

    sign_in(page, demo, "clinicadmin")
    page.goto(release_url)
    page.get_by_role("link", name="Accounting of disclosures").click()
    rows = [row.inner_text() for row in page.locator("table tbody tr").all()]
    # Every observation the prescriber saw, and nothing read by anyone else (the page also
    # showed Finley's referral, read under the same release, so it is accounted too).
    assert sum("Observation #" in row for row in rows) == seen
    assert all("Maya Okafor" in row for row in rows)
    shot(page, "release-accounting")
