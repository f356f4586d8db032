"""The demo clinic tells the medication stories the README promises."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from cases import selectors as case_selectors
from cases.models import Observation, ObservationReview, Patient
from medications import selectors
from medications.models import Medication, MedicationChange, RefillRequest
from releases import gate

pytestmark = pytest.mark.django_db

Kind = MedicationChange.Kind


@pytest.fixture
def demo_users():
    call_command("seed_demo", verbosity=0)
    users = get_user_model().objects
    return users.get(username="prescriber"), users.get(username="therapist")


def patient(mrn: str) -> Patient:
    return Patient.objects.get(mrn=mrn)


def test_alex_improves_after_a_dose_increase(demo_users):
    alex = patient("DEMO-1001")
    increase = MedicationChange.objects.in_effect().get(
        medication__patient=alex, kind=Kind.INCREASE
    )
    observations = Observation.objects.filter(case__patient=alex, shared=True).exclude(response="")
    before = {n.response for n in observations.filter(observed_on__lt=increase.effective_on)}
    after = [n.response for n in observations.filter(observed_on__gt=increase.effective_on)]
    assert before <= {"same", "worse"}
    assert "much_better" in after
    assert (increase.effective_on - alex.medications.get().start_date).days >= 56


def test_the_demo_has_a_side_effect_missed_doses_and_a_switch(demo_users):
    shared = Observation.objects.filter(shared=True)
    assert shared.exclude(side_effects="").filter(case__patient=patient("DEMO-1002")).exists()
    assert shared.filter(adherence="missed_doses", case__patient=patient("DEMO-1003")).exists()
    assert MedicationChange.objects.filter(kind=Kind.SWITCH).count() == 1
    assert Medication.objects.filter(patient_reported=True).exists()


def test_a_late_and_a_timely_controlled_refill_request_are_open(demo_users):
    late = RefillRequest.objects.get(status="open", late=True)
    assert late.medication.is_controlled
    assert late.notice_days < late.medication.patient.clinic.controlled_refill_lead_days
    timely = RefillRequest.objects.get(status="open", late=False)
    assert timely.medication.is_controlled
    assert RefillRequest.objects.filter(status="sent").exists()
    assert RefillRequest.objects.filter(status="declined").exists()


def test_the_prescriber_s_queue_waits_with_flagged_notes_first(demo_users):
    prescriber, therapist = demo_users
    groups, total = selectors.review_queue(prescriber)
    assert total >= 3
    observations = case_selectors.observations_to_review(prescriber)
    assert observations[0].flagged
    assert ObservationReview.objects.filter(reviewer=prescriber).count() > 20
    # The prescriber wrote back: one observation waits for the therapist.
    assert case_selectors.observations_to_review(therapist).exists()


def test_the_gate_holds_in_the_demo(demo_users):
    prescriber, therapist = demo_users
    harper_medication = Medication.objects.get(patient=patient("DEMO-1008"))
    assert not gate.can_read(therapist, harper_medication)  # the release expired
    assert gate.can_read(prescriber, harper_medication)
    alex_medication = Medication.objects.get(patient=patient("DEMO-1001"))
    assert gate.can_read(therapist, alex_medication)


def test_seeding_again_adds_no_medication_row(demo_users):
    counts = (
        Medication.objects.count(),
        MedicationChange.objects.count(),
        RefillRequest.objects.count(),
        Observation.objects.count(),
        ObservationReview.objects.count(),
    )
    call_command("seed_demo", verbosity=0)
    assert counts == (
        Medication.objects.count(),
        MedicationChange.objects.count(),
        RefillRequest.objects.count(),
        Observation.objects.count(),
        ObservationReview.objects.count(),
    )


def test_drew_has_a_clonazepam_taper_planned_over_six_weeks(demo_users):
    prescriber, therapist = demo_users
    drew = patient("DEMO-1004")
    clonazepam = Medication.objects.get(patient=drew, name="Clonazepam")
    steps = list(selectors.planned_steps_visible_to(therapist, medication=clonazepam))
    assert len(steps) >= 3
    doses = [clonazepam.daily_dose] + [step.daily_dose for step in steps]
    assert doses == sorted(doses, reverse=True)  # every step lowers the daily dose
    assert (steps[-1].planned_on - steps[0].planned_on).days + 7 == 42


def test_alex_s_history_holds_one_change_entered_in_error(demo_users):
    prescriber, therapist = demo_users
    alex = patient("DEMO-1001")
    wrong = MedicationChange.objects.entered_in_error().get(medication__patient=alex)
    assert wrong.entered_in_error_reason
    sertraline = wrong.medication
    assert sertraline.strength == "100 mg"  # the dose went back
    history = selectors.changes_visible_to(therapist, patient=alex)
    assert wrong in history  # kept, struck through
