"""The release's direction, written once on the release QuerySet (issue 13.1): every
caller derives from it, and ``gate.readers_of_new_record`` answers "who will read this"
for a record not yet written."""

import itertools

import pytest
from django.contrib.auth import get_user_model

from cases.categories import Category
from releases import gate
from releases.models import InformationRelease
from tests.factories import observation
from tests.releasekit import make_release, share

pytestmark = pytest.mark.django_db

MESSAGES, OBSERVATIONS = Category.MESSAGES, Category.OBSERVATIONS


@pytest.fixture
def releases(world):
    """Therapist (author) <-> prescriber (recipient): mutual, everything. Therapist ->
    colleague: messages only. The whole clinic -> other_category: observations only."""
    share(world)
    make_release(
        admin=world.clinic_admin.user,
        patient=world.patient,
        discloser=world.author,
        recipient=world.colleague,
        scope=[MESSAGES],
    )
    make_release(
        admin=world.clinic_admin.user,
        patient=world.patient,
        discloser=world.author,
        recipient=world.other_category,
        scope=[OBSERVATIONS],
        by_clinic=True,
    )
    return world


def usernames(users) -> set[str]:
    return {user.username for user in users}


def test_readers_of_a_new_record_follow_author_direction_and_scope(releases):
    w = releases
    readers = gate.readers_of_new_record(w.author.user, w.patient, MESSAGES)
    assert usernames(readers) == {"recipient", "colleague"}
    readers = gate.readers_of_new_record(w.author.user, w.patient, OBSERVATIONS)
    assert usernames(readers) == {"recipient", "othercat"}
    # The prescriber's record reaches the therapist (mutual) and, through the whole
    # clinic's release, other_category for observations; never the colleague.
    assert usernames(gate.readers_of_new_record(w.recipient.user, w.patient, MESSAGES)) == {
        "author"
    }
    assert usernames(gate.readers_of_new_record(w.recipient.user, w.patient, OBSERVATIONS)) == {
        "author",
        "othercat",
    }


def test_readers_of_a_new_record_are_who_can_read_it_once_written(releases):
    w = releases
    for author in (w.author, w.recipient, w.colleague):
        expected = usernames(gate.readers_of_new_record(author.user, w.patient, OBSERVATIONS))
        note = observation(w.case, author.user)
        readers = {
            user.username
            for user in get_user_model().objects.exclude(pk=author.user.pk)
            if gate.can_read(user, note)
        }
        assert readers == expected, author


def test_covers_and_the_queryset_state_the_same_direction(releases):
    w = releases
    users = [w.user(p) for p in ("author", "recipient", "colleague", "other_category")]
    clinics = {u.pk: u.clinician.clinic_id for u in users}
    rows = list(InformationRelease.objects.values(*gate.COVER_FIELDS))
    for reader, author in itertools.permutations(users, 2):
        by_queryset = set(
            InformationRelease.objects.between(reader=reader, author=author).values_list(
                "pk", flat=True
            )
        )
        by_covers = {
            cover.release_id
            for row in rows
            for cover in gate.covers_of(row)
            if cover.reader_id == reader.pk
            and (
                cover.author_id == author.pk
                or (cover.author_id is None and cover.clinic_id == clinics[author.pk])
            )
        }
        assert by_queryset == by_covers, (reader, author)
