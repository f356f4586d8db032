"""Entered in error: a medication change, an observation or an assessment marked by its
author (or the prescriber, for a change) with a reason stays in the history, struck
through with who and when, and no longer counts: not in "N days after", the chart and
its bands, the response lines, the not-improving list, the review queue, the caseload
or the reminders. Audited like any change, the reason masked."""

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from assessments import selectors as assessment_selectors
from assessments import services as assessment_services
from cases import selectors as case_selectors
from cases import services as case_services
from cases.models import Observation
from medications import selectors, services
from medications.models import MedicationChange
from messaging.models import Reminder
from tests.assessments.kit import give
from tests.messaging.test_reminders_kit import (  # noqa: F401  (the fixtures clock and rem)
    change,
    clock_fixture,
    due,
    medication,
    rem_fixture,
    sweep,
)

from .kit import start

pytestmark = pytest.mark.django_db

Kind = MedicationChange.Kind
TODAY = timezone.localdate


def days_ago(n: int) -> dt.date:
    return TODAY() - dt.timedelta(days=n)


def increase(world, medication, days: int = 10, **fields):
    values = {
        "medication": medication,
        "author": world.recipient.user,
        "kind": Kind.INCREASE,
        "strength": "100 mg",
        "directions": "1 tablet (100 mg) in the morning",
        "effective_on": days_ago(days),
    }
    values.update(fields)
    return services.medication_change_dose(**values)


def mark(world, change, reason="Typed on the wrong patient"):
    return services.medication_change_mark_entered_in_error(
        change=change, author=world.recipient.user, reason=reason
    )


def observe(world, days: int, medications=(), **fields):
    fields.setdefault("response", "better")
    return case_services.observation_create(
        case=world.case,
        author=world.author.user,
        observed_on=days_ago(days),
        medications=list(medications),
        **fields,
    )


# --- a medication change -------------------------------------------------------------------


def test_a_dose_change_in_error_stays_with_who_and_when_and_the_dose_goes_back(shared_world):
    medication = start(shared_world)
    wrong = increase(shared_world, medication)
    mark(shared_world, wrong)
    wrong.refresh_from_db()
    medication.refresh_from_db()
    assert wrong.is_entered_in_error
    assert wrong.entered_in_error_by == shared_world.recipient.user
    assert wrong.entered_in_error_reason == "Typed on the wrong patient"
    assert (medication.strength, medication.directions) == ("50 mg", "1 tablet in the morning")
    assert medication.daily_dose == 50
    assert medication.changes.count() == 2  # kept in the history
    assert list(MedicationChange.objects.in_effect().filter(medication=medication)) == [
        medication.changes.get(kind=Kind.START)
    ]


def test_a_change_entered_in_error_no_longer_moves_the_days_after_or_the_counts(shared_world):
    medication = start(shared_world)  # 40 days ago
    wrong = increase(shared_world, medication, days=10)
    observation = observe(shared_world, 5, [medication])
    (group,) = selectors.review_queue(shared_world.recipient.user)[0]
    assert group.observations[0].after_change["change"] == wrong
    mark(shared_world, wrong)

    # The review queue counts the days from the start again.
    (group,) = selectors.review_queue(shared_world.recipient.user)[0]
    after = group.observations[0].after_change
    assert (after["change"].kind, after["days"]) == (Kind.START, 35)
    # So does the patient's timeline.
    timeline = selectors.medication_timeline(shared_world.author.user, shared_world.patient)
    timeline += case_selectors.observation_timeline(shared_world.author.user, shared_world.patient)
    case_selectors.place_after_changes(timeline)
    placed = next(entry for entry in timeline if entry.obj == observation)
    assert placed.extra["after_change"]["days"] == 35
    struck = next(entry for entry in timeline if entry.obj == wrong)
    assert struck.extra["in_error"] and not struck.extra["shift"]
    # The medication list and the caseload's "last change".
    (current,) = selectors.current_medications(shared_world.author.user, shared_world.patient)
    assert current.last_change_on == days_ago(40)
    (row,) = selectors.caseload(shared_world.author.user)
    assert row.last_change_on == days_ago(40)


def test_a_change_entered_in_error_no_longer_moves_the_baseline(shared_world):
    world = shared_world
    medication = start(world, name="Testamine", strength="10 mg", controlled_schedule="")
    medication.changes.update(effective_on=days_ago(70))
    type(medication).objects.filter(pk=medication.pk).update(start_date=days_ago(70))
    give(world, 16, days_ago(70))  # baseline of the start
    give(world, 15, days_ago(40))
    wrong = increase(
        world,
        medication,
        days=20,
        strength="20 mg",
        directions="1 tablet (20 mg) in the morning",
    )
    give(world, 14, days_ago(3))
    user = world.recipient.user
    # With the increase, the clock restarted 20 days ago: not yet due.
    assert assessment_selectors.patients_not_improving(user) == []
    trends = assessment_selectors.trends_of_patient(user, world.patient)
    assert wrong.pk in {
        marker.pk for trend in trends.trends if trend.chart for marker in trend.chart.markers
    }

    mark(world, wrong)
    (row,) = assessment_selectors.patients_not_improving(user)
    assert row.changed_on == days_ago(70)
    assert row.outcomes[0].baseline.total == 16
    trends = assessment_selectors.trends_of_patient(user, world.patient)
    markers = {
        marker.pk for trend in trends.trends if trend.chart for marker in trend.chart.markers
    }
    assert wrong.pk not in markers


def test_only_the_author_or_the_prescriber_marks_a_change_and_says_why(shared_world):
    medication = start(shared_world)
    wrong = increase(shared_world, medication)
    with pytest.raises(PermissionDenied):
        services.medication_change_mark_entered_in_error(
            change=wrong, author=shared_world.author.user, reason="No"
        )
    with pytest.raises(ValidationError, match="Say why"):
        mark(shared_world, wrong, reason="  ")
    mark(shared_world, wrong)
    with pytest.raises(ValidationError, match="already"):
        mark(shared_world, wrong)


def test_a_start_is_not_taken_back_and_the_latest_dose_change_goes_first(shared_world):
    medication = start(shared_world)
    with pytest.raises(ValidationError, match="Only a dose change"):
        mark(shared_world, medication.changes.get())
    first = increase(shared_world, medication, days=10)
    increase(
        shared_world,
        medication,
        days=5,
        strength="150 mg",
        directions="1 tablet (150 mg) in the morning",
    )
    with pytest.raises(ValidationError, match="later dose change"):
        mark(shared_world, first)


def test_marking_is_audited_with_the_reason_masked(shared_world):
    medication = start(shared_world)
    wrong = increase(shared_world, medication)
    mark(shared_world, wrong, reason="Wrong patient: Testwell")
    entry = (
        LogEntry.objects.get_for_object(wrong)
        .filter(action=LogEntry.Action.UPDATE)
        .latest("timestamp")
    )
    assert "entered_in_error_at" in entry.changes_dict
    assert "Testwell" not in str(entry.changes)


def test_the_checkin_reminder_follows_the_change_in_effect(rem, clock):
    med = medication(rem, start_date=clock.today)
    start_change = change(rem, med, Kind.START, clock.today)
    clock.to(clock.today + dt.timedelta(days=2))
    wrong = change(rem, med, Kind.INCREASE, clock.today)
    case_services.mark_entered_in_error(wrong, by=rem.recipient.user, reason="Wrong patient")
    clock.to(clock.today + dt.timedelta(days=5))  # day 7 after the start
    sweep(Reminder.Kind.CHECKIN_DUE)
    assert set(
        Reminder.objects.filter(kind=Reminder.Kind.CHECKIN_DUE).values_list("subject_id", flat=True)
    ) == {start_change.pk}


# --- an observation ----------------------------------------------------------------------


def test_an_observation_in_error_leaves_the_review_queue_and_the_caseload(shared_world):
    start(shared_world)
    observation = observe(shared_world, 3, question="Synthetic: raise it?")
    assert case_selectors.review_counts(shared_world.recipient.user)["total"] == 1
    case_services.observation_mark_entered_in_error(
        observation=observation, author=shared_world.author.user, reason="Wrong patient"
    )
    assert case_selectors.review_counts(shared_world.recipient.user)["total"] == 0
    (row,) = selectors.caseload(shared_world.author.user)
    assert row.last_observation_on is None
    assert row.open_questions == 0
    # Still in the history, struck through.
    assert observation in case_selectors.observations_visible_to(shared_world.author.user)


def test_only_its_author_marks_an_observation(shared_world):
    observation = observe(shared_world, 3)
    with pytest.raises(PermissionDenied):
        case_services.observation_mark_entered_in_error(
            observation=observation, author=shared_world.recipient.user, reason="No"
        )
    assert not Observation.objects.get(pk=observation.pk).is_entered_in_error


# --- an assessment ------------------------------------------------------------------------


def test_an_assessment_in_error_leaves_the_chart_but_stays_in_the_list(shared_world):
    kept = give(shared_world, 12, days_ago(20))
    wrong = give(shared_world, 22, days_ago(10))
    assessment_services.assessment_mark_entered_in_error(
        assessment=wrong, author=shared_world.author.user, reason="Scored for the wrong patient"
    )
    trends = assessment_selectors.trends_of_patient(shared_world.author.user, shared_world.patient)
    (phq,) = [trend for trend in trends.trends if trend.scale.code == "PHQ-9"]
    assert [point.total for point in phq.chart.points] == [kept.total]
    assert wrong in phq.assessments
    with pytest.raises(PermissionDenied):
        assessment_services.assessment_mark_entered_in_error(
            assessment=kept, author=shared_world.recipient.user, reason="No"
        )


# --- pages --------------------------------------------------------------------------------


def test_the_prescriber_marks_a_change_on_its_page_and_it_shows_struck(shared_world, client):
    medication = start(shared_world)
    wrong = increase(shared_world, medication)
    client.force_login(shared_world.recipient.user)
    detail = reverse("medications:detail", args=[medication.pk])
    url = reverse("medications:change_entered_in_error", args=[wrong.pk])
    assert url in client.get(detail).content.decode()
    empty = client.post(url, {"reason": ""})
    assert empty.status_code == 200
    assert "Say why it was entered in error" in empty.content.decode()
    response = client.post(url, {"reason": "Wrong patient"})
    assert response.status_code == 302
    page = client.get(detail).content.decode()
    assert 'class="in-error"' in page
    assert "Entered in error</span> by" in page


def test_the_therapist_cannot_open_the_prescribers_change_form(shared_world, client):
    medication = start(shared_world)
    wrong = increase(shared_world, medication)
    client.force_login(shared_world.author.user)
    response = client.get(reverse("medications:change_entered_in_error", args=[wrong.pk]))
    assert response.status_code in (403, 404)


def test_the_author_marks_an_observation_and_an_assessment_on_their_pages(shared_world, client):
    observation = observe(shared_world, 3)
    assessment = give(shared_world, 12, days_ago(2))
    client.force_login(shared_world.author.user)
    for url in (
        reverse("cases:observation_entered_in_error", args=[observation.pk]),
        reverse("assessments:entered_in_error", args=[assessment.pk]),
    ):
        assert client.get(url).status_code == 200
        response = client.post(url, {"reason": "Wrong patient"})
        assert response.status_code == 302, response.content.decode()[-3000:]
    assert Observation.objects.get(pk=observation.pk).is_entered_in_error
    assessment.refresh_from_db()
    assert assessment.is_entered_in_error
    client.force_login(shared_world.recipient.user)
    url = reverse("cases:observation_entered_in_error", args=[observation.pk])
    assert client.get(url).status_code == 404


def test_the_fhir_export_says_entered_in_error_and_skips_the_change(shared_world, client):
    from tests.fhir.fhirkit import export, parse_bundle, resources

    medication = start(shared_world)
    wrong = increase(shared_world, medication)
    mark(shared_world, wrong)
    observation = observe(shared_world, 3)
    case_services.observation_mark_entered_in_error(
        observation=observation, author=shared_world.author.user, reason="Wrong patient"
    )
    assessment = give(shared_world, 12, days_ago(2))
    assessment_services.assessment_mark_entered_in_error(
        assessment=assessment, author=shared_world.author.user, reason="Wrong patient"
    )
    client.force_login(shared_world.author.user)
    bundle = parse_bundle(export(client, shared_world.patient).content)
    statuses = {r["id"]: r["status"] for r in resources(bundle, "Observation")}
    assert statuses[f"observation-{observation.pk}"] == "entered-in-error"
    assert statuses[f"assessment-{assessment.pk}"] == "entered-in-error"
    (answers,) = resources(bundle, "QuestionnaireResponse")
    assert answers["status"] == "entered-in-error"
    # The increase entered in error made no dose period: one statement, the start's dose.
    (statement,) = resources(bundle, "MedicationStatement")
    assert statement["dosage"][0]["text"] == "1 tablet in the morning, once daily"
