"""factory_boy factories for synthetic test data. Writes that have a service go through it."""

import datetime as dt
from contextlib import contextmanager

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from cases import services as case_services
from cases.models import CareTeamMember, Case, Clinic, Clinician, Patient
from notifications.models import Notification

User = get_user_model()
PASSWORD = "correct-horse-battery-staple"


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Test Clinic {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.invalid")
    password = factory.django.Password(PASSWORD)


class ClinicianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinician

    user = factory.SubFactory(UserFactory)
    clinic = factory.SubFactory(ClinicFactory)
    role = Clinician.Role.THERAPIST
    credential = "LCSW"


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    clinic = factory.SubFactory(ClinicFactory)
    given_name = factory.Faker("first_name")
    family_name = factory.Sequence(lambda n: f"Testpatient{n}")
    date_of_birth = dt.date(1990, 1, 1)
    mrn = factory.Sequence(lambda n: f"MRN-{n:05d}")


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    patient = factory.SubFactory(PatientFactory)
    opened_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=100))


@contextmanager
def setting_the_scene():
    """Building a test's world: the care team's news of a new reader (a member joining, a
    release's recipient named) made while the world is built is not kept, so a test
    starts with no notification it did not cause (tests/accounts test that news)."""
    last = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    yield
    Notification.objects.filter(kind=Notification.Kind.CARE_TEAM, pk__gt=last).delete()


def on_team(case: Case, *clinicians: Clinician) -> None:
    """Put clinicians on a case's care team with their own role (setting the scene)."""
    with setting_the_scene():
        for clinician in clinicians:
            case_services.care_team_add(case=case, clinician=clinician, role_on_case=clinician.role)


def observation(case: Case, author, **fields):
    """Write an observation through the service."""
    fields.setdefault("body", "Synthetic observation text")
    fields.setdefault("adherence", "as_prescribed")
    return case_services.observation_create(case=case, author=author, **fields)


__all__ = [
    "CareTeamMember",
    "CaseFactory",
    "ClinicFactory",
    "ClinicianFactory",
    "PASSWORD",
    "PatientFactory",
    "UserFactory",
    "observation",
    "on_team",
]


def count_queries(callable_) -> int:
    """How many SQL queries ``callable_()`` runs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        callable_()
    return len(context.captured_queries)
