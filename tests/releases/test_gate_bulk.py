"""The gate's bulk form (``gate.readable_by``) answers what ``gate.visible`` answers, for
every persona, direction, release state and kind of clinic-wide release: it is the same
rule asked of many (record, reader) pairs in one query (the reminder sweeps use it)."""

import pytest
from django.db.models import Value

from cases.categories import Category
from cases.models import Observation
from releases import gate
from tests.conftest import PERSONAS
from tests.factories import count_queries, observation
from tests.releasekit import make_release

pytestmark = pytest.mark.django_db

READERS = [persona for persona in PERSONAS if persona != "anonymous"]


def written(world):
    """A shared and a private observation by the therapist, a shared one by the
    prescriber (read by the therapist only under a mutual release)."""
    return [
        observation(world.case, world.author.user, shared=True),
        observation(world.case, world.author.user, shared=False),
        observation(world.case, world.recipient.user, shared=True),
    ]


def release(world, **kwargs):
    """A release from the therapist to the prescriber, active unless told."""
    return make_release(
        admin=world.clinic_admin.user,
        patient=world.patient,
        discloser=world.author,
        recipient=world.recipient,
        **kwargs,
    )


def bulk(world, readers):
    """(observation id, reader id) pairs readable_by lets through, for all readers at once."""
    rows = Observation.objects.none()
    for persona in readers:
        reader = Observation.objects.annotate(r_reader=Value(world.user(persona).pk))
        rows = rows.union(
            gate.readable_by(Observation, reader, reader="r_reader").values_list("pk", "r_reader")
        )
    return set(rows)


def one_by_one(world, readers):
    return {
        (pk, world.user(persona).pk)
        for persona in readers
        for pk in gate.visible(world.user(persona), Observation).values_list("pk", flat=True)
    }


@pytest.mark.parametrize("state", ["draft", "active", "revoked", "expired", "lapsed"])
@pytest.mark.parametrize(
    ("mutual", "by_clinic"),
    [(False, False), (True, False), (False, True)],  # a mutual exchange names two clinicians
    ids=["one-way", "mutual", "from-the-clinic"],
)
def test_readable_by_agrees_with_visible(world, state, mutual, by_clinic):
    written(world)
    release(world, state=state, scope=[Category.OBSERVATIONS], mutual=mutual, by_clinic=by_clinic)
    written(world)  # written under the release: granted on write
    assert bulk(world, READERS) == one_by_one(world, READERS)


def test_a_release_for_another_category_lets_nothing_through(world):
    shared, _, own = written(world)
    release(world, scope=[Category.MEDICATIONS])
    readable = bulk(world, ["recipient"])
    assert readable == {(own.pk, world.recipient.user.pk)} == one_by_one(world, ["recipient"])


def test_readable_by_asks_one_query_for_any_number_of_pairs(world):
    written(world)
    release(world, mutual=True)
    reader = Observation.objects.annotate(r_reader=Value(world.recipient.user.pk))
    few = count_queries(lambda: list(gate.readable_by(Observation, reader, reader="r_reader")))
    for _ in range(5):
        written(world)
    many = count_queries(lambda: list(gate.readable_by(Observation, reader, reader="r_reader")))
    assert few == many == 1
