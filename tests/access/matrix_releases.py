"""Release pages (clinic admin) and the signed-document download in the access matrix.

These pages show no clinical text; they are reached by the clinic admin of the
patient's clinic, and the signed document also by the release's two parties.
"""

from .table import Url

ADMIN = {"clinic_admin"}


def admin_only(persona, state):
    return persona in ADMIN


def any_clinic_admin(persona, state):
    # Each clinic admin has a list and a create page: of their own clinic.
    return persona in {"clinic_admin", "other_clinic_admin"}


def document(persona, state):
    return state != "draft" and persona in {"clinic_admin", "author", "recipient"}


def release(w, o):
    return [w.extra["release"].pk]


KINDS: dict = {}

URLS = [
    Url("releases:list", "observation", "page", allowed=any_clinic_admin),
    Url("releases:create", "observation", "page", allowed=any_clinic_admin),
    Url("releases:detail", "observation", "page", release, allowed=admin_only),
    Url("releases:edit", "observation", "page", release, allowed=admin_only),
    Url("releases:sign", "observation", "page", release, allowed=admin_only),
    Url("releases:print", "observation", "page", release, allowed=admin_only),
    Url("releases:preview", "observation", "page", release, allowed=admin_only),
    Url("releases:revoke", "observation", "page", release, allowed=admin_only),
    Url("releases:document", "observation", "page", release, allowed=document),
    Url(
        "releases:disclosures",
        "observation",
        "page",
        lambda w, o: [w.patient.pk],
        allowed=admin_only,
    ),
    Url("releases:activate", "observation", "post", release, allowed=admin_only),
]

NOT_PHI: dict = {}
