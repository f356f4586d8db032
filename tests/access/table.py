"""The declarative access table and the types each app's matrix module fills in.

Each ``tests/access/matrix_<app>.py`` declares:
- ``KINDS``: shared PHI kinds, each with a builder that writes one object as a persona;
- ``URLS``: every URL of the app that shows or changes PHI, with how to reach it;
- ``NOT_PHI``: URL names that show no clinical record, each with the reason.
A URL of the project in none of them fails ``test_every_url_is_in_the_matrix``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

STATES = ["draft", "active", "revoked", "expired", "lapsed"]
ALL = frozenset(STATES)
NONE: frozenset = frozenset()

# The objects of one kind that each world holds: a shared one by the author (the
# therapist who discloses), a private one by the author, and a shared one by the
# recipient (read by the author only under a mutual release: the wrong direction of
# this one-way release).
# ``late_by_author`` is written after the release reached its state, so both ways of
# granting (in bulk on activation, and on write under an active release) are covered.
OBJECTS = ["by_author", "private", "by_recipient", "late_by_author"]

# Who reads which object in which release state. Anything not listed: never.
READS: dict[tuple[str, str], frozenset] = {
    ("author", "by_author"): ALL,
    ("author", "private"): ALL,
    ("author", "by_recipient"): NONE,
    ("recipient", "by_author"): frozenset({"active"}),
    ("recipient", "private"): NONE,
    ("recipient", "by_recipient"): ALL,
    ("author", "late_by_author"): ALL,
    ("recipient", "late_by_author"): frozenset({"active"}),
}

WRITERS = {
    "by_author": "author",
    "private": "author",
    "by_recipient": "recipient",
    "late_by_author": "author",
}


def may_read(persona: str, obj: str, state: str) -> bool:
    return state in READS.get((persona, obj), NONE)


@dataclass(frozen=True)
class Kind:
    """A shared kind: ``build(world, clinician, shared)`` writes one object and returns
    ``(obj, marker)`` where ``marker`` is text that appears on a page only if it shows
    the object's clinical content."""

    category: str
    build: Callable
    has_private: bool = True
    # Some kinds are written by one role only (e.g. a prescriber prescribes): the
    # builder then receives the persona's clinician and may refuse with None.
    objects: tuple[str, ...] = tuple(OBJECTS)


@dataclass(frozen=True)
class Url:
    """One URL pattern in the matrix.

    mode: ``detail`` (the object itself), ``edit`` (its author only), ``list`` (a page
    that lists objects: the marker shows iff readable), ``post`` (an action: refusals
    only, checked to change nothing), ``page`` (not gated by release: ``allowed`` says
    who gets a 200).
    """

    name: str
    kind: str
    mode: str
    args: Callable = field(default=lambda world, objs: [])
    obj: str = "by_author"
    allowed: Callable | None = None  # (persona, state) -> bool, for mode "page"/"post"
    # How this URL shows an object when not by the kind's marker: (obj, marker) -> text
    # (a JSON export names a record without free text by its id).
    marker: Callable | None = None
    # Objects this URL never shows, whoever reads (an export never carries a private
    # record, not even to its author).
    hides: tuple[str, ...] = ()
