"""The referral journey in real Chromium: the therapist refers a patient, the clinic admin
activates the release, the prescriber accepts and asks a consult question in the case
thread, the therapist answers, and the prescriber's queue shows the question answered."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases import services as case_services
from cases.categories import Category
from cases.models import Clinician
from releases import services as release_services
from tests.releasekit import PDF

from .conftest import shot, sign_in, sign_out

pytestmark = pytest.mark.browser

QUESTION = "Synthetic journey: could the evening dose be the cause of Quinn's early waking?"
ANSWER = "Synthetic journey: Quinn says the early waking began before the change."


def _new_patient():
    """A patient only the therapist treats so far, with a release to the prescriber that
    the clinic admin prepared and that awaits the patient's signature (synthetic)."""
    therapist = Clinician.objects.get(user__username="therapist")
    prescriber = Clinician.objects.get(user__username="prescriber")
    admin = Clinician.objects.get(user__username="clinicadmin")
    patient = case_services.patient_create(
        clinic=therapist.clinic,
        given_name="Quinn",
        family_name="Journeyperson",
        date_of_birth=timezone.localdate().replace(year=1991),
        mrn="DEMO-3001",
    )
    case = case_services.case_open(patient=patient)
    case_services.care_team_add(case=case, clinician=therapist, role_on_case="therapist")
    release = release_services.release_create(
        actor=admin.user,
        patient=patient,
        discloser_clinician=therapist,
        recipient=prescriber,
        mutual=True,
        scope=list(Category.values),
        purpose="Coordination of medication therapy",
        effective_on=timezone.localdate(),
        expiration_event="End of treatment with the prescriber",
    )
    return patient, release


def test_a_referral_becomes_a_conversation(page, demo):
    patient, release = _new_patient()
    base = demo.url

    # 1. The therapist refers the patient from the patient page.
    sign_in(page, demo, "therapist")
    page.goto(f"{base}/cases/patients/{patient.pk}/")
    page.get_by_role("link", name="Refer for medication evaluation").click()
    page.get_by_label("Refer to").select_option(label="Maya Okafor, MD")
    page.get_by_label("Within two weeks").check()
    page.get_by_label("Reason for the referral").fill(
        "Synthetic journey: low mood and early waking for three months."
    )
    page.get_by_label("What you have seen").fill("Synthetic journey: sleeps five hours.")
    page.get_by_label("The information release it rests on").select_option(value=str(release.pk))
    shot(page, "referral-1-therapist-refers")
    page.get_by_role("button", name="Send the referral").click()
    expect(page.get_by_text("Referral sent.")).to_be_visible()
    expect(page.locator("h1")).to_contain_text("Quinn Journeyperson")
    sign_out(page)

    # Before the release is active the prescriber sees only that a referral waits.
    sign_in(page, demo, "prescriber")
    page.goto(f"{base}/referrals/")
    awaiting = page.get_by_test_id("awaiting-release")
    expect(awaiting).to_contain_text("from Sam Rivera, LCSW")
    expect(page.locator("main")).not_to_contain_text("Journeyperson")
    sign_out(page)

    # 2. The clinic admin sees the referral waiting, records the signature, activates.
    sign_in(page, demo, "clinicadmin")
    waiting = page.get_by_test_id("referrals-waiting")
    row = waiting.locator("tr", has_text="Journeyperson")
    expect(row).to_contain_text("Awaiting signature")
    expect(waiting).not_to_contain_text("low mood")
    shot(page, "referral-2-admin-sees-it-waiting")
    row.get_by_role("link", name="Open release").click()
    page.get_by_role("link", name="Record signature").click()
    page.get_by_label("Signed by").fill("Quinn Journeyperson")
    page.get_by_label("Signature date").fill(timezone.localdate().isoformat())
    page.get_by_label("Signed document (PDF, PNG or JPEG)").set_input_files(
        files=[{"name": "signed.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_label("The form states the right to revoke in writing, and how.").check()
    page.get_by_label("The form states that treatment is not conditioned on signing.").check()
    page.get_by_label("The form states that disclosed information may be redisclosed.").check()
    page.get_by_role("button", name="Record signature").click()
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_text("Release activated.")).to_be_visible()
    shot(page, "referral-3-admin-activated-the-release")
    page.goto(f"{base}/referrals/waiting/")
    expect(page.get_by_test_id("referrals-waiting")).not_to_contain_text("Journeyperson")
    sign_out(page)

    # 3. The prescriber opens the referral, accepts, and asks a question in the thread.
    sign_in(page, demo, "prescriber")
    page.get_by_test_id("panel-referrals").get_by_role(
        "link", name=re.compile("Journeyperson")
    ).click()
    expect(page.locator("main")).to_contain_text("low mood and early waking")
    shot(page, "referral-4-prescriber-reads-the-referral")
    page.get_by_role("button", name="Accept and join the care team").click()
    expect(page.get_by_text("Referral accepted: you are on the care team.")).to_be_visible()
    expect(page.locator("h1")).to_contain_text("Case thread")
    page.get_by_label("Consult question").check()
    page.get_by_label("Your message").fill(QUESTION)
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Question sent.")).to_be_visible()
    shot(page, "referral-5-prescriber-asks-a-question")
    sign_out(page)

    # 4. The therapist follows the notification and answers.
    sign_in(page, demo, "therapist")
    page.get_by_test_id("nav-notifications").click()
    page.get_by_role("link", name="New consult question in a case thread").first.click()
    expect(page.locator("main")).to_contain_text(QUESTION)
    page.get_by_label("Your answer").fill(ANSWER)
    shot(page, "referral-6-therapist-answers")
    page.get_by_role("button", name="Send the answer").click()
    expect(page.get_by_text("Answer sent. The question is closed.")).to_be_visible()
    sign_out(page)

    # 5. The prescriber's queue shows the question answered.
    sign_in(page, demo, "prescriber")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Consult queue").click()
    asked = page.get_by_test_id("asked").locator("li", has_text=QUESTION)
    expect(asked).to_contain_text("Answered")
    expect(page.get_by_test_id("waiting")).not_to_contain_text(QUESTION)
    shot(page, "referral-7-prescriber-queue-shows-it-answered")
    asked.get_by_role("link", name="Read the answer").click()
    expect(page.locator("main")).to_contain_text(ANSWER)
