"""Observations (ProgressNote) and the patient pages in the access matrix."""

import uuid

from cases.categories import Category
from tests.factories import note

from .table import Kind, Url


def build_note(world, clinician, shared):
    marker = f"OBS-{uuid.uuid4().hex[:10]}"
    obj = note(world.case, clinician.user, shared=shared, body=f"Synthetic {marker}")
    return obj, marker


KINDS = {
    "observation": Kind(category=Category.OBSERVATIONS, build=build_note),
}

URLS = [
    Url("cases:note_detail", "observation", "detail", lambda w, o: [o.pk]),
    Url("cases:note_edit", "observation", "edit", lambda w, o: [o.pk]),
    Url("cases:note_list", "observation", "list"),
    Url("cases:patient_detail", "observation", "list", lambda w, o: [w.patient.pk]),
    Url(
        "cases:note_create",
        "observation",
        "page",
        lambda w, o: [w.patient.pk],
        # Only the care team writes about the patient.
        allowed=lambda persona, state: (
            persona in {"author", "recipient", "colleague", "other_category"}
        ),
    ),
]

NOT_PHI = {
    "home": "role router; lists patient names only (tested in tests/cases)",
    "login": "sign-in page",
    "logout": "sign-out",
    "password_change": "own password",
    "password_change_done": "own password",
    "cases:patient_list": "patient names of the user's care teams; tested in tests/cases",
}
