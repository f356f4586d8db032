"""The review queue and the patient timeline run the same number of queries with 10 and
with 1,000 observations: no page runs a query per row."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Observation, ObservationReview
from medications import services as medication_services
from medications.models import MedicationChange
from medications.selectors import REVIEW_PAGE_SIZE
from releases import gate
from tests.medications.kit import report, start
from tests.releasekit import share

pytestmark = pytest.mark.django_db

# A ceiling on top of "the same at both sizes", so a slow creep shows up too. (The
# therapist's patient page holds 47: the alert banner, "What is due" and the planned steps.)
MAX_QUERIES = 50


def medications(world) -> list:
    """Three medications (one patient-reported), a dose increase and a refill request."""
    therapist, prescriber = world.author.user, world.recipient.user
    today = timezone.localdate()
    sertraline = start(world, start_date=today - dt.timedelta(days=160))
    melatonin = report(world)
    lithium = start(world, name="Lithium", start_date=today - dt.timedelta(days=40))
    medication_services.medication_change_dose(
        medication=sertraline,
        author=prescriber,
        kind=MedicationChange.Kind.INCREASE,
        strength="100 mg",
        directions="1 tablet (100 mg)",
        effective_on=today - dt.timedelta(days=60),
    )
    medication_services.refill_request_create(
        medication=sertraline, requested_by=therapist, needed_by=today + dt.timedelta(days=3)
    )
    return [sertraline, melatonin, lithium]


def add_observations(world, linked: list, count: int) -> None:
    """``count`` observations over five months, each linked to medications, a third
    flagged, a quarter reviewed by the prescriber, one in ten by the prescriber.

    They are inserted in bulk (the service grants each one and would take minutes at
    1,000); the grants are then synced once, as a release activation does.
    """
    therapist, prescriber = world.author.user, world.recipient.user
    today = timezone.localdate()
    observations = Observation.objects.bulk_create(
        Observation(
            case=world.case,
            author=prescriber if i % 10 == 0 else therapist,
            observed_on=today - dt.timedelta(days=i % 150),
            adherence="missed_doses" if i % 3 == 0 else "as_prescribed",
            response="better",
            side_effects="Synthetic nausea" if i % 5 == 0 else "",
            question="Synthetic question?" if i % 7 == 0 else "",
            body=f"Synthetic observation {i}",
        )
        for i in range(count)
    )
    links = Observation.medications.through
    links.objects.bulk_create(
        links(observation_id=observation.pk, medication_id=medication.pk)
        for i, observation in enumerate(observations)
        for medication in (linked[:2] if i % 2 else linked[2:])
    )
    ObservationReview.objects.bulk_create(
        ObservationReview(
            observation=observation,
            reviewer=prescriber,
            observation_updated_at=observation.updated_at,
        )
        for i, observation in enumerate(observations)
        if i % 4 == 1 and observation.author_id == therapist.pk
    )
    gate.grants_sync_for_patient(world.patient.pk)


def queries_for(client, url) -> int:
    client.get(url)  # warm the per-process caches (content types, sessions)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("persona", "page"),
    [
        ("recipient", "review"),
        ("recipient", "timeline"),
        ("author", "timeline"),
        ("author", "review"),
    ],
)
def test_query_count_is_the_same_for_10_and_1000_observations(
    world, client, django_assert_num_queries, persona, page
):
    share(world)
    url = (
        reverse("medications:review")
        if page == "review"
        else reverse("cases:patient_detail", args=[world.patient.pk])
    )
    client.force_login(world.user(persona))
    linked = medications(world)
    add_observations(world, linked, 10)
    at_ten = queries_for(client, url)
    assert at_ten <= MAX_QUERIES

    add_observations(world, linked, 990)
    assert Observation.objects.count() == 1000

    with django_assert_num_queries(at_ten):
        response = client.get(url)
    assert response.status_code == 200
    if page == "review" and persona == "recipient":
        assert response.context["total"] > REVIEW_PAGE_SIZE
        assert response.context["shown"] == REVIEW_PAGE_SIZE
    if page == "timeline":
        observations = [e for e in response.context["timeline"] if e.kind == "observation"]
        assert len(observations) > 900
