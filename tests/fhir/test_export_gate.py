"""The export reads through the gate and records what it read.

Personas (tests/conftest.py): the author (a therapist) discloses to the recipient (a
prescriber) under a mutual release; the colleague is a prescriber on the care team with
no release; the other clinic's therapist and admin have nothing to do with the patient.
"""

import datetime as dt
import json
import logging

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments import services as assessment_services
from cases.categories import Category
from cases.models import Observation, Patient
from medications import services as medication_services
from releases import services as release_services
from releases.models import Disclosure
from tests.factories import observation
from tests.releasekit import make_release

from .fhirkit import export, parse_bundle, resources, types_in

pytestmark = pytest.mark.django_db

PHQ9 = [2, 2, 1, 1, 1, 1, 0, 0, 0]


def share_everything(world):
    world.extra["release"] = make_release(
        admin=world.clinic_admin.user,
        patient=world.patient,
        discloser=world.author,
        recipient=world.recipient,
        state="active",
        scope=list(Category.values),
        mutual=True,
    )
    return world.extra["release"]


def write_records(world, tag: str = "") -> dict:
    """A shared and a private observation and a shared and a private PHQ-9 by the author,
    a patient-reported medication by the author, a prescription by the recipient."""
    author, recipient = world.author.user, world.recipient.user
    records = {
        "shared": observation(world.case, author, body=f"Shared note {tag}", side_effects="Dry"),
        "private": observation(world.case, author, body=f"Private note {tag}", shared=False),
        "score": assessment_services.assessment_record(
            case=world.case, administered_by=author, scale_code="PHQ-9", answers=PHQ9
        ),
        "private_score": assessment_services.assessment_record(
            case=world.case,
            administered_by=author,
            scale_code="GAD-7",
            answers=[1] * 7,
            shared=False,
        ),
        "reported": medication_services.medication_report(
            patient=world.patient,
            author=author,
            name=f"Melatonin{tag}",
            strength="3 mg",
            directions="1 at bedtime",
            prescribed_elsewhere_by="Over the counter",
            controlled_schedule="",
        ),
        "prescribed": medication_services.medication_start(
            patient=world.patient,
            author=recipient,
            name=f"Sertraline{tag}",
            strength="50 mg",
            directions="1 tablet in the morning",
            start_date=timezone.localdate() - dt.timedelta(days=30),
        ),
    }
    return records


def client_for(world, persona: str) -> Client:
    client = Client()
    client.force_login(world.user(persona))
    return client


def ids(bundle, resource_type):
    return {r["id"] for r in resources(bundle, resource_type)}


def test_the_recipient_exports_what_the_author_shared_and_nothing_private(world):
    share_everything(world)
    records = write_records(world)
    bundle = parse_bundle(export(client_for(world, "recipient"), world.patient).content)
    observations = ids(bundle, "Observation")
    assert f"observation-{records['shared'].pk}" in observations
    assert f"observation-{records['private'].pk}" not in observations
    assert f"assessment-{records['score'].pk}" in observations
    assert f"assessment-{records['private_score'].pk}" not in observations
    names = {
        r["medicationCodeableConcept"]["text"] for r in resources(bundle, "MedicationStatement")
    }
    assert names == {"Melatonin 3 mg", "Sertraline 50 mg"}
    reported = next(r for r in resources(bundle, "MedicationStatement") if "Melatonin" in str(r))
    assert reported["category"]["coding"][0]["code"] == "patientspecified"
    assert reported["informationSource"] == {"reference": f"Patient/{world.patient.pk}"}


def test_the_author_never_exports_their_own_private_records(world):
    share_everything(world)
    records = write_records(world)
    response = export(client_for(world, "author"), world.patient)
    bundle = parse_bundle(response.content)
    assert f"observation-{records['shared'].pk}" in ids(bundle, "Observation")
    assert "Private note" not in response.content.decode()
    assert f"assessment-{records['private_score'].pk}" not in ids(bundle, "Observation")


def test_a_colleague_without_a_release_exports_only_the_patient_and_the_team(world):
    share_everything(world)
    write_records(world)
    response = export(client_for(world, "colleague"), world.patient)
    assert response.status_code == 200
    bundle = parse_bundle(response.content)
    assert types_in(bundle) == {"Patient", "Practitioner", "CareTeam", "Consent"}


def test_a_revoked_release_takes_the_author_s_records_out_of_the_export(world):
    release = share_everything(world)
    records = write_records(world)
    client = client_for(world, "recipient")
    before = parse_bundle(export(client, world.patient).content)
    assert f"observation-{records['shared'].pk}" in ids(before, "Observation")
    disclosed = Disclosure.objects.filter(release=release).count()
    assert disclosed > 0

    release_services.release_revoke(release=release, actor=world.clinic_admin.user, reason="x")
    after = parse_bundle(export(client, world.patient).content)
    assert f"observation-{records['shared'].pk}" not in ids(after, "Observation")
    assert f"assessment-{records['score'].pk}" not in ids(after, "Observation")
    assert {
        r["medicationCodeableConcept"]["text"] for r in resources(after, "MedicationStatement")
    } == {
        "Sertraline 50 mg"  # the recipient's own prescription stays
    }
    (consent,) = resources(after, "Consent")
    assert consent["status"] == "inactive"
    assert "end" in consent["provision"]["period"]
    # What was disclosed before the revocation stays disclosed.
    assert Disclosure.objects.filter(release=release).count() == disclosed


def test_a_release_for_other_categories_exports_only_those(world):
    records = write_records(world)
    make_release(
        admin=world.clinic_admin.user,
        patient=world.patient,
        discloser=world.author,
        recipient=world.recipient,
        scope=[Category.ASSESSMENTS],
    )
    bundle = parse_bundle(export(client_for(world, "recipient"), world.patient).content)
    assert f"assessment-{records['score'].pk}" in ids(bundle, "Observation")
    assert f"observation-{records['shared'].pk}" not in ids(bundle, "Observation")
    assert "Melatonin" not in json.dumps(bundle)


@pytest.mark.parametrize("persona", ["other_clinic", "other_clinic_admin"])
def test_strangers_get_a_logged_404(world, persona, caplog):
    share_everything(world)
    write_records(world)
    caplog.set_level(logging.WARNING)
    response = export(client_for(world, persona), world.patient)
    assert response.status_code == 404
    assert world.patient.family_name.encode() not in response.content
    assert any(r.name.startswith("carecollab") for r in caplog.records)


def test_the_anonymous_are_sent_to_sign_in(world):
    response = export(Client(), world.patient)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def _access_entries(obj) -> int:
    return LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS,
        content_type=ContentType.objects.get_for_model(obj),
        object_pk=str(obj.pk),
    ).count()


def test_every_record_read_is_one_access_entry_and_a_disclosure_under_the_release(world):
    release = share_everything(world)
    records = write_records(world)
    recipient = world.recipient.user
    LogEntry.objects.filter(action=LogEntry.Action.ACCESS).delete()
    export(client_for(world, "recipient"), world.patient)

    change = records["reported"].changes.get()
    read = [records["shared"], records["score"], records["reported"], change, records["prescribed"]]
    for obj in read:
        assert _access_entries(obj) == 1, obj
    for obj in (records["private"], records["private_score"]):
        assert _access_entries(obj) == 0
    # The patient, the case (CareTeam) and the release (Consent) are access entries too.
    for obj in (world.patient, world.case, release):
        assert _access_entries(obj) == 1
    # Read under the release: the author's records; the recipient's own are not disclosed.
    disclosed = set(
        Disclosure.objects.filter(recipient=recipient, release=release).values_list(
            "object_model", "object_id"
        )
    )
    assert disclosed == {
        ("cases.Observation", records["shared"].pk),
        ("assessments.Assessment", records["score"].pk),
        ("medications.Medication", records["reported"].pk),
        ("medications.MedicationChange", change.pk),
    }


def test_the_clinic_admin_export_is_logged_without_clinical_reads(world):
    share_everything(world)
    records = write_records(world)
    response = export(client_for(world, "clinic_admin"), world.patient)
    assert types_in(parse_bundle(response.content)) == {
        "Patient",
        "Practitioner",
        "CareTeam",
        "Consent",
    }
    assert _access_entries(world.patient) == 1
    assert _access_entries(records["shared"]) == 0
    assert not Disclosure.objects.filter(recipient=world.clinic_admin.user).exists()


def grow(world, rounds: int, start: int = 0) -> None:
    for index in range(start, start + rounds):
        tag = f" {index}"
        observation(world.case, world.author.user, body=f"Note{tag}", attitudes=["other"])
        assessment_services.assessment_record(
            case=world.case, administered_by=world.author.user, scale_code="PHQ-9", answers=PHQ9
        )
        medication = medication_services.medication_start(
            patient=world.patient,
            author=world.recipient.user,
            name=f"Drug{index}",
            strength="10 mg",
            directions="1 tablet",
            controlled_schedule="",
            start_date=timezone.localdate() - dt.timedelta(days=20),
        )
        medication_services.medication_change_dose(
            medication=medication,
            author=world.recipient.user,
            kind="increase",
            strength="20 mg",
            directions="1 tablet (20 mg)",
            effective_on=timezone.localdate() - dt.timedelta(days=5),
        )


def count_export_queries(world, persona: str) -> int:
    client = client_for(world, persona)
    export(client, world.patient)  # warm per-process caches (content types)
    with CaptureQueriesContext(connection) as queries:
        response = export(client, world.patient)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("persona", ["recipient", "author", "clinic_admin"])
def test_the_export_runs_the_same_number_of_queries_as_the_record_grows(world, persona):
    share_everything(world)
    write_records(world)
    grow(world, 2)
    small = count_export_queries(world, persona)
    grow(world, 10, start=2)
    assert count_export_queries(world, persona) == small


def test_a_patient_of_the_clinic_without_records_exports_cleanly(world):
    patient = Patient.objects.create(
        clinic=world.clinic,
        given_name="Nobody",
        family_name="Yet",
        date_of_birth=dt.date(2000, 1, 1),
        mrn="EMPTY-1",
    )
    response = export(client_for(world, "clinic_admin"), patient)
    bundle = parse_bundle(response.content)
    assert types_in(bundle) == {"Patient"}


def test_an_observation_points_at_the_dose_in_effect_that_day(world):
    share_everything(world)
    records = write_records(world)
    medication = records["prescribed"]
    medication_services.medication_change_dose(
        medication=medication,
        author=world.recipient.user,
        kind="increase",
        strength="100 mg",
        directions="1 tablet (100 mg) in the morning",
        effective_on=timezone.localdate() - dt.timedelta(days=10),
    )
    before = observation(
        world.case,
        world.author.user,
        observed_on=timezone.localdate() - dt.timedelta(days=20),
        medications=[medication],
    )
    after = observation(
        world.case, world.author.user, observed_on=timezone.localdate(), medications=[medication]
    )
    bundle = parse_bundle(export(client_for(world, "recipient"), world.patient).content)
    statements = {r["id"]: r for r in resources(bundle, "MedicationStatement")}
    by_id = {r["id"]: r for r in resources(bundle, "Observation")}

    def dose_of(obs: Observation) -> str:
        (focus,) = by_id[f"observation-{obs.pk}"]["focus"]
        return statements[focus["reference"].split("/")[1]]["medicationCodeableConcept"]["text"]

    assert dose_of(before) == "Sertraline 50 mg"
    assert dose_of(after) == "Sertraline 100 mg"
