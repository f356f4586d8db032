"""The gate: who reads what, when; grants; the audit trail and the accounting of
disclosures.

Ana (``author``) is a therapist who writes; Rex (``recipient``) is the prescriber her
patient's release covers; Col (``colleague``) is on the care team with no release.
"""

import datetime as dt

import pytest
import time_machine
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from cases import services as case_services
from cases.models import CareTeamMember, Observation, ObservationUserObjectPermission
from cases.selectors import observations_visible_to
from releases import gate, services
from releases.models import Disclosure
from tests.factories import ClinicianFactory, UserFactory, count_queries, observation, on_team
from tests.releasekit import make_release

pytestmark = pytest.mark.django_db


def release(world, state="active", **kwargs):
    kwargs.setdefault("discloser", world.author)
    kwargs.setdefault("recipient", world.recipient)
    return make_release(admin=world.clinic_admin.user, patient=world.patient, state=state, **kwargs)


def visible_ids(user):
    return set(observations_visible_to(user).values_list("pk", flat=True))


def test_revoking_removes_access_at_once_and_keeps_past_disclosures(client, world):
    shared = observation(world.case, world.author.user, body="Seen before revocation")
    active = release(world)
    client.force_login(world.recipient.user)
    assert client.get(reverse("cases:observation_detail", args=[shared.pk])).status_code == 200

    services.release_revoke(release=active, actor=world.clinic_admin.user, reason="Revoked")
    assert client.get(reverse("cases:observation_detail", args=[shared.pk])).status_code == 404
    assert not ObservationUserObjectPermission.objects.filter(user=world.recipient.user).exists()

    disclosure = Disclosure.objects.get()
    assert disclosure.release == active
    assert disclosure.recipient == world.recipient.user
    assert disclosure.object_id == shared.pk
    client.force_login(world.clinic_admin.user)
    page = client.get(reverse("releases:disclosures", args=[world.patient.pk])).content.decode()
    assert f"Observation #{shared.pk}" in page
    assert "Revoked" in page
    assert "Seen before revocation" not in page  # the accounting holds no clinical text


def test_a_disclosure_is_recorded_once_per_object_recipient_and_release(client, world):
    shared = observation(world.case, world.author.user)
    release(world)
    client.force_login(world.recipient.user)
    for _ in range(3):
        client.get(reverse("cases:observation_detail", args=[shared.pk]))
        client.get(reverse("cases:observation_list"))
    assert Disclosure.objects.count() == 1


def test_reading_ones_own_notes_is_no_disclosure(client, world):
    observation(world.case, world.author.user)
    release(world)
    client.force_login(world.author.user)
    client.get(reverse("cases:observation_list"))
    assert not Disclosure.objects.exists()


def test_every_read_is_an_access_entry_with_its_actor(client, world):
    shared = observation(world.case, world.author.user)
    release(world)
    client.force_login(world.recipient.user)
    LogEntry.objects.filter(action=LogEntry.Action.ACCESS).delete()
    client.get(reverse("cases:observation_detail", args=[shared.pk]))
    client.get(reverse("cases:observation_list"))
    reads = LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS,
        content_type=ContentType.objects.get_for_model(Observation),
        object_id=shared.pk,
    )
    assert reads.count() == 2
    assert set(reads.values_list("actor", flat=True)) == {world.recipient.user.pk}


def test_writes_are_audited_with_the_actor_and_without_the_text(client, world):
    client.force_login(world.author.user)
    response = client.post(
        reverse("cases:observation_create", args=[world.patient.pk]),
        {"observed_on": "2026-01-05", "adherence": "missed_doses", "body": "TEXT-NOT-IN-AUDIT"},
    )
    assert response.status_code == 302
    created = Observation.objects.get()
    entry = LogEntry.objects.get(
        action=LogEntry.Action.CREATE,
        content_type=ContentType.objects.get_for_model(Observation),
        object_id=created.pk,
    )
    assert entry.actor == world.author.user
    assert "TEXT-NOT-IN-AUDIT" not in str(entry.changes)
    assert "body" in entry.changes  # that it changed is recorded


def test_a_release_reads_in_one_direction_unless_mutual(world):
    by_author = observation(world.case, world.author.user)
    by_recipient = observation(world.case, world.recipient.user)
    release(world)
    assert by_recipient.pk not in visible_ids(world.author.user)
    assert by_author.pk in visible_ids(world.recipient.user)
    release(world, mutual=True)
    assert by_recipient.pk in visible_ids(world.author.user)


def test_a_release_from_the_whole_clinic_covers_every_clinician_of_it(world):
    other_therapist = ClinicianFactory(clinic=world.clinic)
    on_team(world.case, other_therapist)
    theirs = observation(world.case, other_therapist.user)
    release(world, by_clinic=True)
    assert theirs.pk in visible_ids(world.recipient.user)


def test_a_note_written_under_an_active_release_is_granted_at_once(world):
    release(world)
    later = observation(world.case, world.author.user)
    assert ObservationUserObjectPermission.objects.filter(
        user=world.recipient.user, content_object=later
    ).exists()
    assert later.pk in visible_ids(world.recipient.user)


def test_making_a_note_private_takes_it_back_from_everyone(world):
    shared = observation(world.case, world.author.user)
    release(world)
    case_services.observation_update(observation=shared, author=world.author.user, shared=False)
    assert shared.pk not in visible_ids(world.recipient.user)
    assert not ObservationUserObjectPermission.objects.filter(content_object=shared).exists()


def test_leaving_the_care_team_ends_reading_even_with_a_release(world):
    shared = observation(world.case, world.author.user)
    release(world)
    CareTeamMember.objects.filter(clinician=world.recipient).delete()
    assert shared.pk not in visible_ids(world.recipient.user)


def test_an_expired_release_blocks_reads_at_its_expiry_instant_before_any_sweep(world):
    shared = observation(world.case, world.author.user)
    covering = release(world)
    with time_machine.travel(covering.expires_at - dt.timedelta(seconds=1)):
        assert gate.can_read(world.recipient.user, shared)
    with time_machine.travel(covering.expires_at):
        assert not gate.can_read(world.recipient.user, shared)
    # The guardian row is still there: the read-time check alone refused.
    assert ObservationUserObjectPermission.objects.filter(user=world.recipient.user).exists()


def test_a_release_activated_ahead_of_its_effective_date_opens_on_that_date(world):
    shared = observation(world.case, world.author.user)
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    future = release(world, effective_on=tomorrow)
    assert not gate.can_read(world.recipient.user, shared)
    with time_machine.travel(future.effective_at + dt.timedelta(minutes=5)):
        services.releases_sweep()
        assert gate.can_read(world.recipient.user, shared)


def test_a_guardian_row_without_a_release_grants_nothing(world):
    shared = observation(world.case, world.author.user)
    from guardian.shortcuts import assign_perm

    assign_perm("cases.view_observation", world.colleague.user, shared)
    assert shared.pk not in visible_ids(world.colleague.user)


def test_superusers_and_staff_read_no_clinical_text_through_the_gate(client, world):
    shared = observation(world.case, world.author.user)
    release(world)
    root = UserFactory(is_staff=True, is_superuser=True)
    assert root.has_perm("cases.view_observation", shared)  # guardian lets them through...
    assert visible_ids(root) == set()  # ...the gate does not
    client.force_login(root)
    assert client.get(reverse("cases:observation_detail", args=[shared.pk])).status_code == 404
    assert client.get(reverse("cases:observation_list")).status_code == 404


def test_a_superuser_with_a_clinical_role_still_needs_a_release(world):
    shared = observation(world.case, world.author.user)
    world.colleague.user.is_superuser = True
    world.colleague.user.save()
    assert shared.pk not in visible_ids(world.colleague.user)


def test_private_notes_are_never_visible_to_anyone_but_their_author(world):
    private = observation(world.case, world.author.user, shared=False)
    release(world, mutual=True)
    for persona in ["recipient", "colleague", "other_category", "other_clinic", "clinic_admin"]:
        assert private.pk not in visible_ids(world.user(persona)), persona
    assert private.pk in visible_ids(world.author.user)


def test_the_visible_notes_list_costs_the_same_for_5_and_500_notes(client, world):
    release(world)
    client.force_login(world.recipient.user)
    for _ in range(5):
        observation(world.case, world.author.user)
    client.get(reverse("cases:observation_list"))
    few = count_queries(lambda: client.get(reverse("cases:observation_list")))
    Observation.objects.bulk_create(  # fast bulk rows; grants come from the sync below
        Observation(case=world.case, author=world.author.user, body="bulk", adherence="unknown")
        for _ in range(495)
    )
    gate.grants_sync_for_patient(world.patient.pk)
    assert len(observations_visible_to(world.recipient.user)) == 500
    many = count_queries(lambda: client.get(reverse("cases:observation_list")))
    assert few == many


def test_a_refused_read_is_logged_without_phi(client, world, caplog):
    shared = observation(world.case, world.author.user, body="CLINICAL-SECRET")
    client.force_login(world.colleague.user)
    with caplog.at_level("WARNING", logger="carecollab.gate"):
        response = client.get(reverse("cases:observation_detail", args=[shared.pk]))
    assert response.status_code == 404
    messages = [r.getMessage() for r in caplog.records if r.name == "carecollab.gate"]
    assert messages and f"pk={shared.pk}" in messages[0]
    assert "CLINICAL-SECRET" not in " ".join(messages)
    assert world.patient.family_name not in " ".join(messages)
