"""The prescriber's review queue: what waits, in which order, marking reviewed one by one
or all for a patient, and an edit bringing an observation back."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import selectors, services
from cases.models import Observation, ObservationReview
from medications import services as medication_services
from medications.models import MedicationChange
from tests.factories import observation
from tests.medications.kit import start

pytestmark = pytest.mark.django_db

Adherence = Observation.Adherence
Response = Observation.Response


def observed(days_ago: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days_ago)


def queue_of(user) -> list[Observation]:
    return list(selectors.observations_to_review(user))


def test_the_queue_holds_shared_notes_by_others_the_reviewer_may_read(shared_world):
    therapist, prescriber = shared_world.author.user, shared_world.recipient.user
    shared = observation(shared_world.case, therapist)
    observation(shared_world.case, therapist, shared=False)
    observation(shared_world.case, prescriber)  # the prescriber's own
    assert queue_of(prescriber) == [shared]
    # Care team without a release: nothing to review.
    assert queue_of(shared_world.colleague.user) == []


@pytest.mark.parametrize(
    "flag",
    [
        {"adherence": Adherence.MISSED_DOSES},
        {"adherence": Adherence.STOPPED},
        {"side_effects": "Dizzy"},
        {"response": Response.WORSE},
        {"response": Response.MUCH_WORSE},
        {"question": "Could we lower the dose?"},
    ],
)
def test_flagged_notes_come_first_even_when_older(shared_world, flag):
    therapist = shared_world.author.user
    calm = observation(
        shared_world.case, therapist, observed_on=observed(1), response=Response.BETTER
    )
    flagged = observation(shared_world.case, therapist, observed_on=observed(20), **flag)
    queue = queue_of(shared_world.recipient.user)
    assert queue == [flagged, calm]
    assert queue[0].flagged and not queue[1].flagged
    assert flagged.is_flagged  # the Python rule agrees with the SQL one


def test_whitespace_is_not_a_side_effect(shared_world):
    saved = observation(shared_world.case, shared_world.author.user, side_effects="   ")
    assert (
        not selectors.observations_to_review(shared_world.recipient.user).get(pk=saved.pk).flagged
    )


def test_marking_reviewed_takes_a_note_out_and_an_edit_brings_it_back(shared_world):
    therapist, prescriber = shared_world.author.user, shared_world.recipient.user
    saved = observation(shared_world.case, therapist)
    services.observation_mark_reviewed(observation=saved, reviewer=prescriber)
    services.observation_mark_reviewed(observation=saved, reviewer=prescriber)  # idempotent
    assert ObservationReview.objects.count() == 1
    assert queue_of(prescriber) == []
    services.observation_update(
        observation=saved, author=therapist, body="Corrected: missed two doses"
    )
    assert queue_of(prescriber) == [saved]
    services.observation_mark_reviewed(observation=saved, reviewer=prescriber)
    assert queue_of(prescriber) == []
    assert ObservationReview.objects.get().is_current


def test_review_pages_mark_one_note_reviewed(shared_world, client):
    saved = observation(
        shared_world.case, shared_world.author.user, adherence=Adherence.MISSED_DOSES
    )
    client.force_login(shared_world.recipient.user)
    page = client.get(reverse("medications:review"))
    assert page.status_code == 200
    assert f'data-observation="{saved.pk}"' in page.content.decode()
    response = client.post(
        reverse("cases:observation_review", args=[saved.pk]),
        {"next": reverse("medications:review")},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("medications:review")
    assert queue_of(shared_world.recipient.user) == []
    assert (
        "Nothing waits for your review"
        in client.get(reverse("medications:review")).content.decode()
    )


@pytest.mark.parametrize(
    "unsafe", ["https://evil.example/", "//evil.example/", "x", "javascript:alert(1)"]
)
def test_an_unsafe_next_is_ignored(shared_world, client, unsafe):
    saved = observation(shared_world.case, shared_world.author.user)
    client.force_login(shared_world.recipient.user)
    response = client.post(reverse("cases:observation_review", args=[saved.pk]), {"next": unsafe})
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:observation_detail", args=[saved.pk])


def test_marking_all_for_a_patient_marks_only_the_notes_on_the_page(shared_world, client):
    therapist = shared_world.author.user
    seen = [observation(shared_world.case, therapist) for _ in range(3)]
    client.force_login(shared_world.recipient.user)
    arrived_since = observation(shared_world.case, therapist)
    response = client.post(
        reverse("cases:patient_observations_review", args=[shared_world.patient.pk]),
        {"observation": [n.pk for n in seen], "next": reverse("medications:review")},
    )
    assert response.status_code == 302
    assert queue_of(shared_world.recipient.user) == [arrived_since]


def test_the_author_cannot_review_their_own_note(shared_world, client):
    saved = observation(shared_world.case, shared_world.author.user)
    client.force_login(shared_world.author.user)
    response = client.post(reverse("cases:observation_review", args=[saved.pk]), follow=True)
    assert "reviews are for the other clinician" in response.content.decode()
    assert not ObservationReview.objects.exists()


def test_a_clinician_without_a_release_cannot_mark_reviewed(shared_world, client):
    saved = observation(shared_world.case, shared_world.author.user)
    client.force_login(shared_world.colleague.user)
    assert client.post(reverse("cases:observation_review", args=[saved.pk])).status_code == 404
    client.post(
        reverse("cases:patient_observations_review", args=[shared_world.patient.pk]),
        {"observation": [saved.pk]},
    )
    assert not ObservationReview.objects.exists()


def test_the_queue_groups_by_patient_and_says_how_long_after_a_change(shared_world, client):
    medication = start(shared_world)
    medication_services.medication_change_dose(
        medication=medication,
        author=shared_world.recipient.user,
        kind=MedicationChange.Kind.INCREASE,
        strength="100 mg",
        directions="1 tablet (100 mg) in the morning",
        effective_on=observed(12),
    )
    observation(
        shared_world.case,
        shared_world.author.user,
        observed_on=observed(2),
        response=Response.BETTER,
        medications=[medication],
    )
    client.force_login(shared_world.recipient.user)
    body = client.get(reverse("medications:review")).content.decode()
    assert "10 days after" in body
    assert "Sertraline: dose increased to 100 mg" in body
    assert shared_world.patient.family_name in body


def test_the_review_page_shows_open_refill_requests_late_first(shared_world, client):
    timely = start(shared_world)
    late = start(shared_world, name="Clonazepam", controlled_schedule="IV")
    therapist = shared_world.author.user
    in_days = timezone.localdate() + dt.timedelta(days=3)
    medication_services.refill_request_create(
        medication=timely, requested_by=therapist, needed_by=in_days
    )
    medication_services.refill_request_create(
        medication=late, requested_by=therapist, needed_by=in_days
    )
    client.force_login(shared_world.recipient.user)
    body = client.get(reverse("medications:review")).content.decode()
    section = body[body.index('id="refill-requests"') :]
    assert section.index("Clonazepam") < section.index("Sertraline")
    assert '<span class="tag flag"' in section[: section.index("Clonazepam")]


def test_the_therapist_sees_notes_from_the_prescriber_without_review_panels(shared_world, client):
    from_prescriber = observation(shared_world.case, shared_world.recipient.user, body="Raised it")
    client.force_login(shared_world.author.user)
    response = client.get(reverse("medications:review"))
    assert response.status_code == 200
    assert response.context["panels"] == []
    assert "From the prescriber" in response.content.decode()
    assert queue_of(shared_world.author.user) == [from_prescriber]


def test_the_clinic_admin_has_no_review_queue(shared_world, client):
    client.force_login(shared_world.clinic_admin.user)
    assert client.get(reverse("medications:review")).status_code == 404


def test_the_patient_page_says_how_long_after_a_change_each_observation_is(shared_world, client):
    medication = start(shared_world)
    observation(shared_world.case, shared_world.author.user, observed_on=observed(35))
    medication_services.medication_change_dose(
        medication=medication,
        author=shared_world.recipient.user,
        kind=MedicationChange.Kind.INCREASE,
        strength="100 mg",
        directions="1 tablet (100 mg)",
        effective_on=observed(30),
    )
    observation(shared_world.case, shared_world.author.user, observed_on=observed(16))
    client.force_login(shared_world.author.user)
    response = client.get(reverse("cases:patient_detail", args=[shared_world.patient.pk]))
    timeline = response.context["timeline"]
    kinds = [entry.kind for entry in timeline]
    assert kinds == ["observation", "medication-change", "observation", "medication-change"]
    latest, increase, older, started = timeline
    assert increase.extra["shift"] and started.extra["shift"]
    assert latest.extra["after_change"]["days"] == 14
    assert latest.extra["after_change"]["change"] == increase.obj
    assert older.extra["after_change"] == {
        "days": 5,
        "change": started.obj,
        "label": "Sertraline started at 50 mg",
    }
    body = response.content.decode()
    assert "14 days after" in body
    assert 'class="medication-change med shift' in body
    only_changes = client.get(
        reverse("cases:patient_detail", args=[shared_world.patient.pk]), {"show": "changes"}
    ).context["timeline"]
    assert [entry.kind for entry in only_changes] == ["medication-change"] * 2


def test_the_patient_page_tells_a_clinician_without_a_release(world, client):
    client.force_login(world.colleague.user)
    body = client.get(reverse("cases:patient_detail", args=[world.patient.pk])).content.decode()
    assert "No active release covers you" in body
