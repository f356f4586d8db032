"""The caseload, the refill list, the medication history and the home pages run the same
number of queries however many patients, requests and changes there are."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from medications import services
from tests.factories import CaseFactory, PatientFactory, observation, on_team
from tests.releasekit import share

from .kit import start

pytestmark = pytest.mark.django_db


def add_patients(world, count: int) -> None:
    """``count`` more patients of the pair, each with a medication, a dose change, an
    observation and an open refill request."""
    for _ in range(count):
        patient = PatientFactory(clinic=world.clinic)
        case = CaseFactory(patient=patient)
        on_team(case, world.author, world.recipient)
        world.patient, world.case = patient, case
        share(world)
        medication = start(world, name="Clonazepam", controlled_schedule="IV")
        services.medication_change_dose(
            medication=medication,
            author=world.recipient.user,
            kind="decrease",
            strength="0.25 mg",
            directions="1 tablet (0.25 mg)",
            effective_on=timezone.localdate() - dt.timedelta(days=3),
        )
        observation(case, world.author.user, adherence="missed_doses", question="Taper?")
        services.refill_request_create(
            medication=medication,
            requested_by=world.author.user,
            needed_by=timezone.localdate() + dt.timedelta(days=2),
        )


def count_queries(client, url) -> int:
    client.get(url)  # warm per-process caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("persona", "url_name"),
    [
        ("author", "medications:caseload"),
        ("recipient", "medications:caseload"),
        ("author", "medications:refill_list"),
        ("recipient", "medications:refill_list"),
        ("author", "home"),
        ("recipient", "home"),
    ],
)
def test_lists_do_not_grow_a_query_per_row(world, client, persona, url_name):
    client.force_login(world.user(persona))
    url = reverse(url_name)
    add_patients(world, 2)
    few = count_queries(client, url)
    add_patients(world, 8)
    assert count_queries(client, url) == few


def test_the_medication_history_does_not_grow_a_query_per_change(world, client):
    share(world)
    medication = start(world)
    client.force_login(world.author.user)
    url = reverse("medications:patient_history", args=[world.patient.pk])
    few = count_queries(client, url)
    for day in range(30, 0, -1):
        services.medication_fill(
            medication=medication,
            author=world.recipient.user,
            filled_on=timezone.localdate() - dt.timedelta(days=day),
            quantity=30,
            days_supply=30,
        )
    assert count_queries(client, url) == few


@pytest.mark.parametrize("persona", ["author", "recipient"])
def test_the_patient_page_does_not_grow_a_query_per_medication(world, client, persona):
    share(world)
    client.force_login(world.user(persona))
    url = reverse("cases:patient_detail", args=[world.patient.pk])

    def add_medications(names):
        for name in names:
            medication = start(world, name=name, controlled_schedule="II")
            services.refill_request_create(
                medication=medication,
                requested_by=world.author.user,
                needed_by=timezone.localdate() + dt.timedelta(days=4),
            )

    add_medications(["Drug A", "Drug B"])
    few = count_queries(client, url)
    add_medications([f"Drug {n}" for n in range(10)])
    assert count_queries(client, url) == few
