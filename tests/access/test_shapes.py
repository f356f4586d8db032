"""Worlds the access matrix's one-release worlds never had (issue 11): a third clinician
on the care team with a release from only one author; a record whose text has two
authors; a whole-clinic discloser; a revoked release in a thread with two authors.
Each shape says, per persona and page, which texts show and which never do."""

import datetime as dt
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.categories import Category
from medications import services as med_services
from messaging import services as msg_services
from messaging.models import CaseConference, ConferenceOutcome
from releases import gate
from tests.assessments.kit import start_medication
from tests.conftest import make_world
from tests.factories import ClinicianFactory, observation
from tests.releasekit import make_release, share

pytestmark = pytest.mark.django_db


def mark(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def page(world, name, *args) -> str:
    return reverse(name, args=args or [world.patient.pk])


def message(world, clinician) -> str:
    text = mark("MSG")
    msg_services._write(case=world.case, author=clinician.user, body=f"Synthetic {text}")
    return text


def note(world, clinician) -> str:
    text = mark("OBS")
    observation(world.case, clinician.user, body=f"Synthetic {text}")
    return text


def third_clinician(world) -> list:
    """author <-> recipient share everything; author -> colleague: messages and
    observations only. The colleague reads the author's texts, never the recipient's."""
    share(world)
    make_release(
        admin=world.clinic_admin.user,
        patient=world.patient,
        discloser=world.author,
        recipient=world.colleague,
        scope=[Category.MESSAGES, Category.OBSERVATIONS],
    )
    by_author = [message(world, world.author), note(world, world.author)]
    by_recipient = [message(world, world.recipient), note(world, world.recipient)]
    thread = page(world, "messaging:thread", world.case.pk)
    patient = page(world, "cases:patient_detail")
    return [
        ("colleague", thread, by_author[:1], by_recipient[:1]),
        ("colleague", patient, by_author[1:], by_recipient[1:]),
        ("recipient", thread, [by_author[0], by_recipient[0]], []),
        ("other_category", patient, [], by_author + by_recipient),
    ]


def two_authors(world) -> list:
    """A conference asked for by the author with the recipient's outcome, and the
    author's refill request with the recipient's decline; the colleague has a release
    from the author only."""
    share(world)
    make_release(
        admin=world.clinic_admin.user,
        patient=world.patient,
        discloser=world.author,
        recipient=world.colleague,
        scope=[Category.MESSAGES, Category.MEDICATIONS],
    )
    agenda, outcome, decline = mark("AGENDA"), mark("OUTCOME"), mark("DECLINE")
    conference = msg_services._conference_write(
        case=world.case,
        requested_by=world.author.user,
        agenda=f"Synthetic {agenda}",
        proposed_at=timezone.now() + dt.timedelta(days=1),
        billing_told=False,
    )
    CaseConference.objects.filter(pk=conference.pk).update(
        status=CaseConference.Status.HELD, held_on=timezone.localdate()
    )
    written = ConferenceOutcome.objects.create(
        conference=conference, author=world.recipient.user, notes=f"Synthetic {outcome}"
    )
    gate.grants_for_new_object(written)
    medication = start_medication(world, timezone.localdate() - dt.timedelta(days=20))
    request = med_services.refill_request_create(
        medication=medication,
        requested_by=world.author.user,
        needed_by=timezone.localdate() + dt.timedelta(days=20),
    )
    med_services.refill_request_decline(
        refill_request=request, handler=world.recipient.user, reason=f"Synthetic {decline}"
    )
    detail = page(world, "messaging:conference_detail", conference.pk)
    patient = page(world, "cases:patient_detail")
    refills = reverse("medications:detail", args=[medication.pk])
    return [
        ("colleague", detail, [agenda], [outcome]),
        ("colleague", patient, [agenda], [outcome, decline]),
        ("author", detail, [agenda, outcome], []),
        ("author", patient, [outcome], []),
        ("author", refills, [decline], []),
        ("recipient", refills, [decline], []),
        ("colleague", refills, [], [decline]),
    ]


def whole_clinic(world) -> list:
    """The whole clinic discloses observations to other_category: it reads what the
    author and the recipient (both of the clinic) write; the other clinic never."""
    make_release(
        admin=world.clinic_admin.user,
        patient=world.patient,
        discloser=world.author,
        recipient=world.other_category,
        scope=[Category.OBSERVATIONS],
        by_clinic=True,
    )
    texts = [note(world, world.author), note(world, world.recipient)]
    patient = page(world, "cases:patient_detail")
    return [
        ("other_category", patient, texts, []),
        ("colleague", patient, [], texts),
        ("author", patient, texts[:1], texts[1:]),
    ]


def revoked_thread(world) -> list:
    """The author and the recipient wrote in the thread under a mutual release, then it
    was revoked: each reads only their own."""
    release = share(world)
    mine, theirs = message(world, world.author), message(world, world.recipient)
    from releases import services as release_services

    release_services.release_revoke(
        release=release, actor=world.clinic_admin.user, reason="Patient revoked"
    )
    thread = page(world, "messaging:thread", world.case.pk)
    return [
        ("author", thread, [mine], [theirs]),
        ("recipient", thread, [theirs], [mine]),
        ("colleague", thread, [], [mine, theirs]),
    ]


@pytest.mark.parametrize("shape", [third_clinician, two_authors, whole_clinic, revoked_thread])
def test_shape(shape):
    world = make_world()
    failures = []
    for persona, url, shown, hidden in shape(world):
        client = Client()
        client.force_login(world.user(persona))
        response = client.get(url)
        body = response.content.decode() if response.status_code == 200 else ""
        if shown and response.status_code != 200:
            failures.append(f"{persona} {url}: {response.status_code}")
        failures += [f"{persona} {url}: {t} missing" for t in shown if t not in body]
        failures += [f"{persona} {url}: {t} shown" for t in hidden if t in body]
    assert not failures, "\n" + "\n".join(failures)


def test_a_clinic_clinician_off_the_care_team_never_gets_a_whole_clinic_release_document():
    world = make_world()
    release = make_release(
        admin=world.clinic_admin.user,
        patient=world.patient,
        discloser=world.author,
        recipient=world.other_category,
        scope=[Category.OBSERVATIONS],
        by_clinic=True,
    )
    stranger = ClinicianFactory(clinic=world.clinic)
    url = reverse("releases:document", args=[release.pk])
    for user, status in [(stranger.user, 404), (world.colleague.user, 200)]:
        client = Client()
        client.force_login(user)
        assert client.get(url).status_code == status
