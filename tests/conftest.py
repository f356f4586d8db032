"""Shared fixtures: settings for tests, and the personas of the access rule.

Personas (one clinic unless said): ``author`` (a therapist who writes), ``recipient``
(a prescriber covered by the author's release), ``colleague`` (a prescriber on the care
team with no release), ``other_category`` (on the care team, with a release for other
kinds of information), ``other_clinic`` (a therapist of another clinic), ``clinic_admin``
and ``other_clinic_admin``.
"""

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.utils import timezone

from carecollab.celery import app as celery_app
from cases.models import Case, Clinic, Clinician, Patient

from .factories import CaseFactory, ClinicFactory, ClinicianFactory, PatientFactory, on_team
from .releasekit import share
from .signin import sign_in_verified

Role = Clinician.Role


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.SIGNED_DOCUMENTS_ROOT = tmp_path / "signed"
    settings.STORAGES = {
        **settings.STORAGES,
        "signed_documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "signed", "base_url": None},
        },
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tasks run in-process unless a test starts a real worker.
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True


@pytest.fixture(autouse=True)
def _force_login_passes_the_second_factor(monkeypatch):
    """``client.force_login(user)`` stands for a complete sign-in (password and second
    factor) in tests that are not about signing in (tests/signin.py)."""
    monkeypatch.setattr(Client, "force_login", sign_in_verified)


@pytest.fixture(autouse=True)
def _shipped_formulary(request):
    """The shipped formulary is data that a migration loads. A transactional test (the
    browser journeys, the real Celery worker) flushes every table when it ends, and
    pytest-django runs those before some database tests, which would then find no
    formulary: put it back, inside the test's own transaction, when it is missing."""
    marker = request.node.get_closest_marker("django_db")
    fixtures = request.fixturenames
    if marker is None and "db" not in fixtures:
        return
    if (marker is not None and marker.kwargs.get("transaction")) or (
        "transactional_db" in fixtures or "live_server" in fixtures
    ):
        return  # seed_demo loads it for the journeys that need it
    request.getfixturevalue("db")
    from medications.formulary import formulary_load_if_empty

    formulary_load_if_empty()


@dataclass
class World:
    clinic: Clinic
    other: Clinic
    patient: Patient
    case: Case
    author: Clinician
    recipient: Clinician
    colleague: Clinician
    other_category: Clinician
    other_clinic: Clinician
    clinic_admin: Clinician
    other_clinic_admin: Clinician
    extra: dict = field(default_factory=dict)

    def user(self, persona: str):
        if persona == "anonymous":
            return AnonymousUser()
        return getattr(self, persona).user


PERSONAS = [
    "author",
    "recipient",
    "colleague",
    "other_category",
    "other_clinic",
    "clinic_admin",
    "other_clinic_admin",
    "anonymous",
]


def make_world() -> World:
    clinic = ClinicFactory(name="Northside Test Clinic")
    other = ClinicFactory(name="Southside Test Clinic")

    def clinician(username, role, clinic_, credential="MD"):
        return ClinicianFactory(
            user__username=username, clinic=clinic_, role=role, credential=credential
        )

    world = World(
        clinic=clinic,
        other=other,
        patient=PatientFactory(clinic=clinic),
        case=None,
        author=clinician("author", Role.THERAPIST, clinic, "LCSW"),
        recipient=clinician("recipient", Role.PRESCRIBER, clinic),
        colleague=clinician("colleague", Role.PRESCRIBER, clinic),
        other_category=clinician("othercat", Role.PRESCRIBER, clinic, "NP"),
        other_clinic=clinician("elsewhere", Role.THERAPIST, other, "PhD"),
        clinic_admin=clinician("admin", Role.CLINIC_ADMIN, clinic, ""),
        other_clinic_admin=clinician("otheradmin", Role.CLINIC_ADMIN, other, ""),
    )
    world.case = CaseFactory(patient=world.patient)
    on_team(world.case, world.author, world.recipient, world.colleague, world.other_category)
    # The other clinic's therapist treats their own patient, not ours.
    on_team(CaseFactory(patient=PatientFactory(clinic=other)), world.other_clinic)
    return world


@pytest.fixture
def world(db) -> World:
    return make_world()


def share_everything(world: World) -> World:
    """The world's therapist and prescriber share everything under a mutual release,
    active from 60 days ago for 800 days (clear of any expiry notice in a test that moves
    the clock): ``world.extra["release"]``."""
    today = timezone.localdate()
    world.extra["release"] = share(
        world,
        effective_on=today - dt.timedelta(days=60),
        expires_on=today + dt.timedelta(days=800),
    )
    return world


@pytest.fixture
def shared_world(world) -> World:
    """The personas, with the therapist (``author``) and the prescriber (``recipient``)
    sharing every category under an active mutual release (``share_everything``);
    ``colleague`` (on the care team) and ``other_category`` have no release yet."""
    return share_everything(world)


@pytest.fixture
def as_user():
    """as_user(user) -> a test client signed in as that user."""

    def client_for(user) -> Client:
        return sign_in_verified(Client(), user)

    return client_for
