"""The observation: the form shaped for the work, linked medications, shared or private,
and the prescriber writing back the same way."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cases import selectors, services
from cases.forms import NoteForm
from cases.models import Observation
from medications import services as medication_services
from medications.models import MedicationChange
from releases import gate
from tests.factories import CaseFactory, PatientFactory, observation, on_team
from tests.medications.kit import report, start

pytestmark = pytest.mark.django_db

Adherence = Observation.Adherence


def form_data(**fields):
    data = {"observed_on": timezone.localdate().isoformat(), "shared": "on"}
    data.update(fields)
    return data


# --- the form -----------------------------------------------------------------------


def test_the_form_starts_on_today_shared_with_the_last_changed_medication_ticked(
    shared_world, client
):
    older = start(shared_world, name="Lithium", start_date=timezone.localdate() - dt.timedelta(60))
    newer = start(shared_world)
    medication_services.medication_change_dose(
        medication=newer,
        author=shared_world.recipient.user,
        kind=MedicationChange.Kind.INCREASE,
        strength="100 mg",
        directions="1 tablet (100 mg)",
        effective_on=timezone.localdate() - dt.timedelta(days=3),
    )
    client.force_login(shared_world.author.user)
    response = client.get(reverse("cases:observation_create", args=[shared_world.patient.pk]))
    assert response.status_code == 200
    form = response.context["form"]
    assert form["observed_on"].value() == timezone.localdate()
    assert form["shared"].value() is True
    assert form["medications"].value() == [newer.pk]
    assert {m.pk for m in form.fields["medications"].queryset} == {older.pk, newer.pk}
    body = response.content.decode()
    assert "autofocus" in body
    assert "Not discussed" in body  # an explicit "no answer", reachable by keyboard


def test_the_form_offers_only_the_patient_s_medications_the_writer_may_read(world, client):
    # No release: the therapist cannot read the prescriber's medication.
    hidden = start(world)
    own = report(world)
    other_patient = PatientFactory(clinic=world.clinic)
    on_team(CaseFactory(patient=other_patient), world.author, world.recipient)
    elsewhere = report(world, patient=other_patient, name="Ibuprofen")
    client.force_login(world.author.user)
    response = client.get(reverse("cases:observation_create", args=[world.patient.pk]))
    choices = {m.pk for m in response.context["form"].fields["medications"].queryset}
    assert choices == {own.pk}
    assert hidden.name not in response.content.decode()
    assert elsewhere.pk not in choices


def test_an_empty_observation_is_refused_with_a_clear_message(shared_world, client):
    client.force_login(shared_world.author.user)
    url = reverse("cases:observation_create", args=[shared_world.patient.pk])
    response = client.post(url, form_data())
    assert response.status_code == 200
    assert "The observation is empty" in response.content.decode()
    assert not Observation.objects.exists()


@pytest.mark.parametrize(
    ("observed_on", "message"),
    [
        (lambda: timezone.localdate() + dt.timedelta(days=1), "cannot be in the future"),
        (lambda: timezone.localdate() - dt.timedelta(days=400), "within the last year"),
        (lambda: "31/02/2026", "Enter a valid date"),
    ],
)
def test_a_bad_date_is_refused_on_the_form(shared_world, client, observed_on, message):
    client.force_login(shared_world.author.user)
    url = reverse("cases:observation_create", args=[shared_world.patient.pk])
    value = observed_on()
    data = form_data(observed_on=str(value), adherence=Adherence.AS_PRESCRIBED)
    response = client.post(url, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Observation.objects.exists()


def test_a_private_note_cannot_carry_a_question(shared_world, client):
    client.force_login(shared_world.author.user)
    url = reverse("cases:observation_create", args=[shared_world.patient.pk])
    data = form_data(body="Process note", question="Dose?")
    del data["shared"]
    response = client.post(url, data)
    assert response.status_code == 200
    assert "A private note never leaves you" in response.content.decode()
    assert not Observation.objects.exists()
    with pytest.raises(ValidationError):
        services.observation_create(
            case=shared_world.case,
            author=shared_world.author.user,
            shared=False,
            body="Process note",
            question="Dose?",
        )


def test_the_therapist_logs_an_observation_linked_to_a_medication(shared_world, client):
    medication = start(shared_world)
    client.force_login(shared_world.author.user)
    url = reverse("cases:observation_create", args=[shared_world.patient.pk])
    data = form_data(
        adherence=Adherence.MISSED_DOSES,
        response="worse",
        side_effects="  Nausea  ",
        attitudes=["fear_of_dependency"],
        medications=[medication.pk],
    )
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:patient_detail", args=[shared_world.patient.pk])
    saved = Observation.objects.get()
    assert list(saved.medications.all()) == [medication]
    assert saved.side_effects == "Nausea"
    assert saved.attitudes == ["fear_of_dependency"]
    assert saved.shared
    assert gate.can_read(shared_world.recipient.user, saved)


def test_a_medication_of_another_patient_cannot_be_linked(shared_world):
    other_patient = PatientFactory(clinic=shared_world.clinic)
    on_team(CaseFactory(patient=other_patient), shared_world.author)
    elsewhere = report(shared_world, patient=other_patient)
    with pytest.raises(ValidationError) as error:
        services.observation_create(
            case=shared_world.case,
            author=shared_world.author.user,
            adherence=Adherence.AS_PRESCRIBED,
            medications=[elsewhere],
        )
    assert "medications" in error.value.message_dict
    assert not Observation.objects.exists()


def test_a_medication_the_writer_cannot_read_cannot_be_linked(world):
    hidden = start(world)  # no release: the therapist cannot read it
    with pytest.raises(ValidationError):
        services.observation_create(
            case=world.case,
            author=world.author.user,
            adherence=Adherence.AS_PRESCRIBED,
            medications=[hidden],
        )


def test_attitudes_alone_make_an_observation(shared_world):
    saved = services.observation_create(
        case=shared_world.case, author=shared_world.author.user, attitudes=["over_reliance"]
    )
    assert saved.pk


def test_the_prescriber_writes_a_shared_note_back_to_the_therapist(shared_world, client):
    medication = start(shared_world)
    client.force_login(shared_world.recipient.user)
    url = reverse("cases:observation_create", args=[shared_world.patient.pk])
    response = client.get(url)
    assert "Question for the therapist" in response.content.decode()
    data = form_data(body="Raised the dose; watch for agitation.", medications=[medication.pk])
    assert client.post(url, data).status_code == 302
    saved = Observation.objects.get()
    assert saved.author == shared_world.recipient.user
    assert gate.can_read(shared_world.author.user, saved)
    assert saved in selectors.observations_to_review(shared_world.author.user)


def test_editing_keeps_links_to_a_long_stopped_medication_choosable(shared_world, client):
    medication = report(shared_world, start_date=timezone.localdate() - dt.timedelta(days=200))
    saved = observation(shared_world.case, shared_world.author.user, medications=[medication])
    medication_services.medication_stop(
        medication=medication,
        author=shared_world.author.user,
        stopped_on=timezone.localdate() - dt.timedelta(days=100),
    )
    client.force_login(shared_world.author.user)
    response = client.get(reverse("cases:observation_edit", args=[saved.pk]))
    form = response.context["form"]
    assert medication.pk in {m.pk for m in form.fields["medications"].queryset}
    assert form["medications"].value() == [medication.pk]


def test_the_note_form_knows_its_fields():
    form = NoteForm(medications=None)
    assert "medications" not in form.fields
    assert form.fields["observed_on"].required


# --- private stays private ----------------------------------------------------------


def test_a_private_observation_is_seen_by_its_author_only(shared_world, client):
    private = observation(
        shared_world.case, shared_world.author.user, shared=False, body="PRIVATE-XYZ"
    )
    assert gate.can_read(shared_world.author.user, private)
    for persona in ("recipient", "colleague", "other_category", "other_clinic"):
        user = shared_world.user(persona)
        assert not gate.can_read(user, private)
        assert private not in selectors.observations_to_review(user)
    client.force_login(shared_world.recipient.user)
    for url in (
        reverse("cases:patient_detail", args=[shared_world.patient.pk]),
        reverse("medications:review"),
        reverse("cases:observation_list"),
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert "PRIVATE-XYZ" not in response.content.decode()
    assert client.get(reverse("cases:observation_detail", args=[private.pk])).status_code == 404


def test_an_edit_keeps_links_the_author_can_no_longer_read(shared_world):
    from releases import services as release_services

    prescribed = start(shared_world)
    reported = report(shared_world)
    saved = observation(
        shared_world.case, shared_world.author.user, medications=[prescribed, reported]
    )
    release_services.release_revoke(
        release=shared_world.extra["release"],
        actor=shared_world.clinic_admin.user,
        reason="Patient revoked",
    )
    services.observation_update(
        observation=saved, author=shared_world.author.user, body="Edited", medications=[]
    )
    assert set(saved.medications.all()) == {prescribed}
