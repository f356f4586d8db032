"""Fixtures for the medication tests."""

import pytest

from .kit import share


@pytest.fixture
def shared_world(world):
    """The personas, with an active mutual release therapist <-> prescriber covering
    medications and observations."""
    return share(world)
