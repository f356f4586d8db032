"""Fixtures of the messaging tests.

``talk``: tests/conftest.py's ``shared_world`` (a mutual release between the author,
a therapist, and the recipient, a prescriber, active now, so both may write in the case
thread), and a release for observations only to ``other_category``. The colleague (a
prescriber on the care team with no release) and ``other_category`` can read none of
their messages.
"""

import pytest

from cases.categories import Category
from tests.releasekit import make_release


@pytest.fixture
def talk(shared_world):
    make_release(
        admin=shared_world.clinic_admin.user,
        patient=shared_world.patient,
        discloser=shared_world.author,
        recipient=shared_world.other_category,
        state="active",
        scope=[Category.OBSERVATIONS],
    )
    return shared_world
