"""Fixtures of the messaging tests.

``talk``: the world of tests/conftest.py with a *mutual* release for messages between
the author (therapist) and the recipient (prescriber), active now, so both may write
in the case thread. The colleague (a prescriber on the care team with no release) and
``other_category`` (a release for observations only) can read nothing of theirs.
"""

import pytest

from cases.categories import Category
from tests.releasekit import make_release


@pytest.fixture
def talk(world):
    world.extra["release"] = make_release(
        admin=world.clinic_admin.user,
        patient=world.patient,
        discloser=world.author,
        recipient=world.recipient,
        state="active",
        scope=[Category.MESSAGES, Category.OBSERVATIONS],
        mutual=True,
    )
    make_release(
        admin=world.clinic_admin.user,
        patient=world.patient,
        discloser=world.author,
        recipient=world.other_category,
        state="active",
        scope=[Category.OBSERVATIONS],
    )
    return world
