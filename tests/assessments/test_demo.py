"""The demo tells the three stories, and seeding twice changes nothing."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from assessments import selectors, trends
from assessments.models import Assessment
from medications.models import MedicationChange
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def demo_user(username):
    return get_user_model().objects.get(username=username)


def responders():
    """Patients whose PHQ-9 fell by half after their latest dose increase."""
    found = []
    for increase in (
        MedicationChange.objects.in_effect()
        .filter(kind="increase")
        .select_related("medication__patient")
    ):
        patient = increase.medication.patient
        scores = list(
            Assessment.objects.filter(case__patient=patient, scale="PHQ-9").order_by("given_on")
        )
        baseline = trends.baseline_for(scores, increase.effective_on)
        if baseline and baseline.total >= 10 and scores[-1].total <= baseline.total / 2:
            found.append(patient)
    return found


def check_the_stories():
    assert responders(), "a patient responds after a dose increase"
    listed = selectors.patients_not_improving(demo_user("prescriber"))
    assert len(listed) == 1, "one non-responder on the prescriber's review page"
    assert listed[0].patient not in responders()
    flagged = Assessment.objects.filter(safety_flag=True)
    assert flagged.count() == 1
    alert = flagged.get().safety_alert
    urgent = Notification.objects.filter(
        kind=Notification.Kind.URGENT, key=f"alert:{alert.pk}:raised"
    )
    assert sorted(urgent.values_list("recipient__username", flat=True)) == [
        "prescriber",
        "therapist",
    ]
    assert set(Assessment.objects.values_list("scale", flat=True)) == {"PHQ-9", "GAD-7"}


def test_the_demo_tells_the_three_stories_once():
    call_command("seed_demo", verbosity=0)
    check_the_stories()
    counts = (Assessment.objects.count(), Notification.objects.count())
    call_command("seed_demo", verbosity=0)
    assert (Assessment.objects.count(), Notification.objects.count()) == counts


def test_without_medication_demo_data_the_stories_bring_their_own(monkeypatch):
    monkeypatch.setattr("medications.demo.seed", lambda context: None)
    call_command("seed_demo", verbosity=0)
    check_the_stories()
    kinds = set(MedicationChange.objects.values_list("medication__name", "kind"))
    assert {("Escitalopram", "start"), ("Escitalopram", "increase")} <= kinds
    assert ("Bupropion XL", "start") in kinds
