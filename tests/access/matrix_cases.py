"""Observations (Observation) and the patient pages in the access matrix."""

import uuid

from cases.categories import Category
from tests.factories import observation

from .table import Kind, Url


def build_note(world, clinician, shared):
    """The marker is in every text field of the observation, so a page that leaks any of
    them is caught. A private note carries no question (a private note never asks)."""
    marker = f"OBS-{uuid.uuid4().hex[:10]}"
    text = f"Synthetic {marker}"
    fields = {"body": text, "side_effects": text, "attitude_notes": text}
    if shared:
        fields.update(question=text, evaluation_suggestion=text)
    obj = observation(world.case, clinician.user, shared=shared, **fields)
    world.extra.setdefault(("observation", clinician.pk, shared), obj)
    return obj, marker


def by_author(w, o):
    return [w.extra[("observation", w.author.pk, True)].pk]


CLINICIANS = {"author", "recipient", "colleague", "other_category", "other_clinic"}
CARE_TEAM = {"author", "recipient", "colleague", "other_category"}


KINDS = {
    "observation": Kind(category=Category.OBSERVATIONS, build=build_note),
}

URLS = [
    Url("cases:observation_detail", "observation", "detail", lambda w, o: [o.pk]),
    Url("cases:observation_edit", "observation", "edit", lambda w, o: [o.pk]),
    Url("cases:observation_entered_in_error", "observation", "edit", lambda w, o: [o.pk]),
    Url("cases:observation_list", "observation", "list"),
    Url("cases:patient_detail", "observation", "list", lambda w, o: [w.patient.pk]),
    Url(
        "cases:observation_create",
        "observation",
        "page",
        lambda w, o: [w.patient.pk],
        # Only the care team writes about the patient.
        allowed=lambda persona, state: (
            persona in {"author", "recipient", "colleague", "other_category"}
        ),
    ),
    # The review queue and the caseload list only what the reader may read.
    Url("medications:review", "observation", "page", allowed=lambda p, s: p in CLINICIANS),
    Url("medications:caseload", "observation", "page", allowed=lambda p, s: p in CLINICIANS),
    # Marking reviewed: the reader of the observation (its author is told it is theirs).
    Url(
        "cases:observation_review",
        "observation",
        "post",
        by_author,
        allowed=lambda persona, state: (
            persona == "author" or (persona == "recipient" and state == "active")
        ),
    ),
    # Marking a patient's observations reviewed marks only posted observations the reader may read.
    Url(
        "cases:patient_observations_review",
        "observation",
        "post",
        lambda w, o: [w.patient.pk],
        allowed=lambda persona, state: persona in CARE_TEAM,
    ),
]

NOT_PHI = {
    "home": "role router; lists patient names only (tested in tests/cases)",
    "login": "sign-in page",
    "logout": "sign-out",
    "password_change": "own password",
    "password_change_done": "own password",
    "cases:patient_list": "patient names of the user's care teams; tested in tests/cases",
    "bench_reference": "the bench's reference page: the base template, no record; 404 unless "
    "BENCH_REFERENCE_PAGE (tests/carecollab/test_bench_reference.py)",
}
