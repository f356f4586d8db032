"""A conference outcome is text of its own author (issue 11, hole 1): it was read under
the requester's releases, so a third clinician with a release from the therapist only
read the prescriber's outcome, and the therapist kept reading it after the
therapist-prescriber release was revoked."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases.categories import Category
from messaging import services
from messaging.models import ConferenceOutcome
from releases import gate
from releases import services as release_services
from releases.models import Disclosure
from tests.releasekit import make_release

pytestmark = pytest.mark.django_db

AGENDA = "Synthetic agenda AGENDA-7f3"
OUTCOME = "Synthetic outcome OUTCOME-9c1"


@pytest.fixture
def held(shared_world):
    """The therapist (author) asks, the prescriber (recipient) confirms and records the
    outcome; ``colleague`` (on the care team) has a messages release from the therapist
    only."""
    world = shared_world
    world.extra["colleague_release"] = make_release(
        admin=world.clinic_admin.user,
        patient=world.patient,
        discloser=world.author,
        recipient=world.colleague,
        scope=[Category.MESSAGES],
    )
    conference = services.conference_request(
        case=world.case,
        requested_by=world.author.user,
        agenda=AGENDA,
        proposed_at=timezone.now() + dt.timedelta(days=2),
    )
    conference = services.conference_confirm(conference=conference, actor=world.recipient.user)
    with time_machine.travel(conference.scheduled_at + dt.timedelta(hours=1)):
        services.conference_record_outcome(
            conference=conference,
            actor=world.recipient.user,
            outcome_notes=OUTCOME,
            held_on=timezone.localdate(),
            billing_told=True,
        )
    world.extra["conference"] = conference
    return world


def pages(world):
    conference = world.extra["conference"]
    return [
        reverse("messaging:conference_detail", args=[conference.pk]),
        reverse("cases:patient_detail", args=[world.patient.pk]),
    ]


def test_the_outcome_is_a_record_of_whoever_wrote_it(held):
    outcome = ConferenceOutcome.objects.get()
    assert outcome.author == held.recipient.user
    assert gate.kind_of(ConferenceOutcome).author_field == "author"


def test_a_third_clinician_with_a_release_from_the_requester_only_does_not_read_the_outcome(
    held, as_user
):
    client = as_user(held.colleague.user)
    for url in pages(held):
        body = client.get(url).content.decode()
        assert AGENDA in body  # the therapist's agenda: covered
        assert OUTCOME not in body, url  # the prescriber's outcome: not covered
    assert not Disclosure.objects.filter(
        recipient=held.colleague.user, object_model="messaging.ConferenceOutcome"
    ).exists()


def test_the_outcome_is_accounted_under_its_authors_release(held, as_user):
    client = as_user(held.author.user)
    body = client.get(pages(held)[0]).content.decode()
    assert OUTCOME in body
    disclosure = Disclosure.objects.get(
        recipient=held.author.user, object_model="messaging.ConferenceOutcome"
    )
    assert disclosure.release == held.extra["release"]


def test_after_revocation_the_requester_no_longer_reads_the_outcome(held, as_user):
    release_services.release_revoke(
        release=held.extra["release"], actor=held.clinic_admin.user, reason="Patient revoked"
    )
    client = as_user(held.author.user)
    for url in pages(held):
        body = client.get(url).content.decode()
        assert OUTCOME not in body, url


def test_each_member_writes_their_own_outcome_and_edits_only_theirs(held):
    conference = held.extra["conference"]
    with time_machine.travel(conference.scheduled_at + dt.timedelta(hours=2)):
        services.conference_record_outcome(
            conference=conference,
            actor=held.author.user,
            outcome_notes="Synthetic therapist outcome",
            held_on=timezone.localdate(),
            billing_told=True,
        )
        services.conference_record_outcome(
            conference=conference,
            actor=held.recipient.user,
            outcome_notes="Synthetic prescriber outcome, edited",
            held_on=timezone.localdate(),
            billing_told=True,
        )
    notes = dict(ConferenceOutcome.objects.values_list("author__username", "notes"))
    assert notes == {
        held.author.user.username: "Synthetic therapist outcome",
        held.recipient.user.username: "Synthetic prescriber outcome, edited",
    }
