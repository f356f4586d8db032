"""The review queue as a list: which change each observation follows (one rule, for the
queue and the timeline), the preview beside a row, marking reviewed in place (htmx) and
the undo."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases import selectors
from cases.models import Observation, ObservationReview
from medications import selectors as medication_selectors
from medications import services as medication_services
from medications.models import MedicationChange
from tests.factories import observation
from tests.medications.kit import start

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def observed(days_ago: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days_ago)


def begin(world, days_ago: int, **fields):
    """A medication started (and filled) ``days_ago``."""
    return start(world, start_date=observed(days_ago), filled_on=observed(days_ago), **fields)


def after_change_of(user, note):
    queryset = Observation.objects.filter(pk=note.pk)
    return selectors.with_after_change(user, queryset).get().after_change_id


def increase(world, medication, days_ago):
    return medication_services.medication_change_dose(
        medication=medication,
        author=world.recipient.user,
        kind=MedicationChange.Kind.INCREASE,
        strength="100 mg",
        directions="1 tablet",
        effective_on=observed(days_ago),
    )


def test_an_observation_follows_the_latest_change_of_its_own_medication(shared_world):
    sertraline = begin(shared_world, 90)
    lithium = begin(shared_world, 10, name="Lithium")
    raised = increase(shared_world, sertraline, 30)
    linked = observation(
        shared_world.case,
        shared_world.author.user,
        observed_on=observed(5),
        medications=[sertraline],
    )
    unlinked = observation(shared_world.case, shared_world.author.user, observed_on=observed(5))
    prescriber = shared_world.recipient.user
    # Linked to sertraline: its increase, not lithium's later start.
    assert after_change_of(prescriber, linked) == raised.pk
    # Linked to nothing: the latest change of any medication.
    lithium_start = MedicationChange.objects.get(medication=lithium, kind="start")
    assert after_change_of(prescriber, unlinked) == lithium_start.pk


def test_a_change_after_the_observation_or_unreadable_is_never_followed(shared_world):
    sertraline = begin(shared_world, 40)
    note = observation(shared_world.case, shared_world.author.user, observed_on=observed(20))
    increase(shared_world, sertraline, 10)  # after the observation
    first = MedicationChange.objects.get(medication=sertraline, kind="start")
    assert after_change_of(shared_world.recipient.user, note) == first.pk
    # The colleague on the care team without a release reads no change at all.
    assert after_change_of(shared_world.colleague.user, note) is None


def test_the_same_day_change_counts_and_the_queue_says_same_day(shared_world, client):
    sertraline = begin(shared_world, 40)
    raised = increase(shared_world, sertraline, 3)
    note = observation(
        shared_world.case,
        shared_world.author.user,
        observed_on=observed(3),
        medications=[sertraline],
    )
    groups, total = medication_selectors.review_queue(shared_world.recipient.user)
    (shown,) = groups[0].observations
    assert shown == note and total == 1
    assert shown.after_change["change"] == raised and shown.after_change["days"] == 0
    client.force_login(shared_world.recipient.user)
    assert "same day as" in client.get(reverse("medications:review")).content.decode()


def test_the_queue_is_one_row_per_observation_with_its_first_line(shared_world, client):
    therapist = shared_world.author.user
    observation(shared_world.case, therapist, body="Synthetic first line\nsecond line")
    observation(shared_world.case, therapist, body="", side_effects="Synthetic dizziness")
    client.force_login(shared_world.recipient.user)
    body = client.get(reverse("medications:review")).content.decode()
    assert body.count('class="qrow') == 2
    assert "Synthetic first line" in body and "second line" not in body
    assert "Synthetic dizziness" in body
    assert 'src="/static/js/review.js"' in body or "js/review" in body


def test_the_no_script_form_comes_back_to_the_next_row(shared_world, client):
    therapist = shared_world.author.user
    older = observation(shared_world.case, therapist, observed_on=observed(3))
    newer = observation(shared_world.case, therapist, observed_on=observed(1))
    client.force_login(shared_world.recipient.user)
    body = client.get(reverse("medications:review")).content.decode()
    # Rows in order newer, older: reviewing the newer one comes back to the older one.
    assert f'value="/medications/review/#obs-{older.pk}"' in body
    response = client.post(
        reverse("cases:observation_review", args=[newer.pk]),
        {"next": f"/medications/review/#obs-{older.pk}"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"#obs-{older.pk}")


def test_the_preview_shows_the_observation_doses_scores_and_release(shared_world, client):
    sertraline = start(shared_world)
    note = observation(
        shared_world.case, shared_world.author.user, question="Synthetic: lower the dose?"
    )
    client.force_login(shared_world.recipient.user)
    partial = client.get(reverse("cases:observation_preview", args=[note.pk]), **HTMX)
    body = partial.content.decode()
    assert partial.status_code == 200 and "<html" not in body
    assert "Synthetic: lower the dose?" in body
    assert sertraline.name in body and sertraline.strength in body
    assert "Release active" in body
    page = client.get(reverse("cases:observation_preview", args=[note.pk]))
    assert "<html" in page.content.decode()  # without script: a page of its own


def test_the_preview_refuses_a_reader_without_a_release(shared_world, client):
    note = observation(shared_world.case, shared_world.author.user)
    client.force_login(shared_world.colleague.user)
    response = client.get(reverse("cases:observation_preview", args=[note.pk]), **HTMX)
    assert response.status_code == 404


def test_marking_reviewed_in_place_answers_the_row_with_an_undo(shared_world, client):
    note = observation(shared_world.case, shared_world.author.user)
    client.force_login(shared_world.recipient.user)
    response = client.post(reverse("cases:observation_review", args=[note.pk]), **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-done="1"' in body and "marked reviewed" in body
    assert reverse("cases:observation_review_undo", args=[note.pk]) in body
    assert ObservationReview.objects.filter(observation=note).count() == 1
    # The message was shown in the row, not kept for the next page.
    assert "marked reviewed" not in client.get(reverse("medications:review")).content.decode()


def test_undo_puts_the_observation_back_in_the_queue(shared_world, client):
    note = observation(shared_world.case, shared_world.author.user)
    prescriber = shared_world.recipient.user
    client.force_login(prescriber)
    client.post(reverse("cases:observation_review", args=[note.pk]), **HTMX)
    assert selectors.observations_to_review(prescriber).count() == 0
    response = client.post(reverse("cases:observation_review_undo", args=[note.pk]), **HTMX)
    assert 'data-ok="1"' in response.content.decode()
    assert list(selectors.observations_to_review(prescriber)) == [note]


def test_undo_is_refused_once_the_review_is_old(shared_world, client):
    note = observation(shared_world.case, shared_world.author.user)
    client.force_login(shared_world.recipient.user)
    client.post(reverse("cases:observation_review", args=[note.pk]))
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=5)):
        response = client.post(reverse("cases:observation_review_undo", args=[note.pk]), **HTMX)
    assert 'data-ok="0"' in response.content.decode()
    assert "no review of yours to undo" in response.content.decode()
    assert ObservationReview.objects.filter(observation=note).exists()


def test_undo_without_a_review_changes_nothing_and_says_so(shared_world, client):
    note = observation(shared_world.case, shared_world.author.user)
    client.force_login(shared_world.recipient.user)
    response = client.post(reverse("cases:observation_review_undo", args=[note.pk]), follow=True)
    assert response.status_code == 200
    assert "no review of yours to undo" in response.content.decode()
