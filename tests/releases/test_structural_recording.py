"""Recording is structural (issue 11, hole 4): every gated row a request reads through
the gate is recorded at the end of the request, so a filtered patient page records the
medication changes next to each observation and the scores drawn in its chart too."""

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from assessments.models import Assessment
from cases.models import Observation
from medications.models import MedicationChange
from releases import gate
from releases.models import Disclosure
from tests.assessments.kit import give, start_medication
from tests.factories import observation

pytestmark = pytest.mark.django_db


def accessed(user, obj) -> bool:
    return LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS,
        actor=user,
        content_type=ContentType.objects.get_for_model(obj),
        object_pk=str(obj.pk),
    ).exists()


@pytest.fixture
def record(shared_world):
    w = shared_world
    today = timezone.localdate()
    medication = start_medication(w, today - dt.timedelta(days=40))
    note = observation(w.case, w.author.user, observed_on=today - dt.timedelta(days=10))
    medication.observations.add(note)
    scores = [give(w, total, today - dt.timedelta(days=days)) for total, days in ((18, 45), (9, 5))]
    w.extra.update(
        change=MedicationChange.objects.get(medication=medication), note=note, scores=scores
    )
    return w


@pytest.mark.parametrize("show", ["observations", "flagged", "changes", ""])
def test_a_filtered_patient_page_records_everything_it_shows(record, as_user, show):
    w = record
    if show == "flagged":
        Observation.objects.filter(pk=w.extra["note"].pk).update(adherence="missed_doses")
    url = reverse("cases:patient_detail", args=[w.patient.pk]) + (f"?show={show}" if show else "")
    response = as_user(w.recipient.user).get(url)
    assert response.status_code == 200
    user = w.recipient.user
    # The chart's scores (the therapist's, read under the release) and the change next
    # to each observation (the prescriber's own) are recorded whatever the filter.
    for score in w.extra["scores"]:
        assert accessed(user, score), show
        assert Disclosure.objects.filter(
            recipient=user, object_model="assessments.Assessment", object_id=score.pk
        ).exists()
    assert accessed(user, w.extra["change"]), show


def test_rows_iterated_within_a_recording_scope_are_recorded_once_at_its_end(record):
    w = record
    user = w.recipient.user
    before = LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count()
    with gate.recording_scope():
        rows = list(gate.visible(user, Assessment))
        list(gate.visible(user, Assessment))  # read twice: recorded once
        assert LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count() == before
    after = LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count()
    assert after - before == len(rows) == 2


def test_counting_or_checking_is_not_reading(record):
    w = record
    before = LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count()
    with gate.recording_scope():
        gate.visible(w.recipient.user, Assessment).count()
        gate.can_read(w.recipient.user, w.extra["scores"][0])
    assert LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count() == before
