"""The medication pages: each works for its role, refuses the others with a 404, shows
clear messages for bad input (never a 500), and writes through one service call."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from medications.models import FormularyEntry, Medication, MedicationChange, RefillRequest
from tests.factories import observation

from .kit import report, start

pytestmark = pytest.mark.django_db

Kind = MedicationChange.Kind


def today(offset: int = 0) -> str:
    return (timezone.localdate() + dt.timedelta(days=offset)).isoformat()


def entry(generic_name: str) -> str:
    """The form value of a shipped formulary entry."""
    return str(FormularyEntry.objects.get(clinic=None, generic_name=generic_name).pk)


def login(client, world, persona):
    client.force_login(world.user(persona))
    return client


# --- prescriber forms -------------------------------------------------------------------


def test_the_prescriber_starts_a_medication_from_the_patient_page(shared_world, client):
    login(client, shared_world, "recipient")
    page = client.get(reverse("cases:patient_detail", args=[shared_world.patient.pk]))
    url = reverse("medications:start", args=[shared_world.patient.pk])
    assert url in page.content.decode()
    response = client.post(
        url,
        {
            "formulary_entry": entry("sertraline"),
            "strength": "50 mg",
            "directions": "1 tablet in the morning",
            "frequency": "once daily",
            "route": "oral",
            "start_date": today(),
            "quantity": "30",
            "days_supply": "30",
            "refills_left": "2",
            "filled_on": today(),
            "reason": "First trial",
        },
    )
    assert response.status_code == 302
    medication = Medication.objects.get()
    assert medication.changes.get().kind == Kind.START
    assert medication.supply_ends_on == timezone.localdate() + dt.timedelta(days=30)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("start_date", today(3), "cannot be in the future"),
        ("start_date", "next tuesday", "Enter a date like"),
        ("quantity", "0", "at least 1"),
        ("days_supply", "900", "cannot exceed 365"),
        ("refills_left", "-1", "cannot be negative"),
        ("formulary_entry", "", "Choose the medication"),
        ("strength", "a lot", "with its amount"),
    ],
)
def test_bad_input_on_the_start_form_gets_a_clear_message(
    shared_world, client, field, value, message
):
    login(client, shared_world, "recipient")
    data = {
        "formulary_entry": entry("sertraline"),
        "strength": "50 mg",
        "directions": "1 tablet",
        "route": "oral",
        "start_date": today(),
        field: value,
    }
    response = client.post(reverse("medications:start", args=[shared_world.patient.pk]), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Medication.objects.exists()


def test_a_service_refusal_shows_on_the_form(shared_world, client):
    start(shared_world)
    login(client, shared_world, "recipient")
    response = client.post(
        reverse("medications:start", args=[shared_world.patient.pk]),
        {"formulary_entry": entry("sertraline"), "strength": "25 mg", "directions": "1",
         "route": "oral", "start_date": today()},
    )  # fmt: skip
    assert response.status_code == 200
    assert "already on the patient&#x27;s active list" in response.content.decode()


def test_the_prescriber_increases_the_dose(shared_world, client):
    medication = start(shared_world)
    login(client, shared_world, "recipient")
    url = reverse("medications:dose", args=[medication.pk])
    form = client.get(url).context["form"]
    assert form["strength"].value() == "50 mg"  # starts from the current dose
    response = client.post(
        url,
        {"kind": "increase", "strength": "100 mg", "directions": "1 tablet (100 mg) daily",
         "frequency": "once daily", "effective_on": today(), "reason": "Partial response"},
    )  # fmt: skip
    assert response.status_code == 302
    assert medication.changes.filter(kind=Kind.INCREASE).count() == 1


def test_the_same_dose_is_refused_on_the_form(shared_world, client):
    medication = start(shared_world)
    login(client, shared_world, "recipient")
    response = client.post(
        reverse("medications:dose", args=[medication.pk]),
        {"kind": "increase", "strength": "50 mg", "directions": "1 tablet in the morning",
         "frequency": "once daily", "effective_on": today()},
    )  # fmt: skip
    assert response.status_code == 200
    assert "same as the current one" in response.content.decode()


def test_switch_fill_and_stop_pages(shared_world, client):
    medication = start(shared_world)
    login(client, shared_world, "recipient")
    fill = client.post(
        reverse("medications:fill", args=[medication.pk]),
        {"filled_on": today(), "quantity": "30", "days_supply": "30", "refills_left": "1"},
    )
    assert fill.status_code == 302
    switch = client.post(
        reverse("medications:switch", args=[medication.pk]),
        {"formulary_entry": entry("escitalopram"), "strength": "10 mg", "directions": "1 tablet",
         "route": "oral", "effective_on": today(), "reason": "Side effects"},
    )  # fmt: skip
    assert switch.status_code == 302
    replacement = Medication.objects.get(name="Escitalopram")
    stop = client.post(
        reverse("medications:stop", args=[replacement.pk]),
        {"stopped_on": today(), "reason": "Patient preference"},
    )
    assert stop.status_code == 302
    kinds = sorted(MedicationChange.objects.values_list("kind", flat=True))
    assert kinds == sorted([Kind.START, Kind.FILL, Kind.SWITCH, Kind.STOP])


def test_a_fill_needs_quantity_and_days(shared_world, client):
    medication = start(shared_world)
    login(client, shared_world, "recipient")
    response = client.post(
        reverse("medications:fill", args=[medication.pk]), {"filled_on": today()}
    )
    body = response.content.decode()
    assert "Give the quantity dispensed." in body
    assert "Give the days of supply." in body


@pytest.mark.parametrize("persona", ["author", "colleague", "clinic_admin", "other_clinic"])
def test_only_the_prescriber_who_started_it_opens_its_forms(shared_world, client, persona):
    medication = start(shared_world)
    login(client, shared_world, persona)
    for name in ("dose", "switch", "fill", "stop"):
        assert client.get(reverse(f"medications:{name}", args=[medication.pk])).status_code == 404


# --- therapist pages --------------------------------------------------------------------


def test_the_therapist_records_and_updates_a_patient_reported_medication(shared_world, client):
    login(client, shared_world, "author")
    response = client.post(
        reverse("medications:report", args=[shared_world.patient.pk]),
        {"formulary_entry": "other", "name": "Melatonin", "controlled_schedule": "none",
         "strength": "3 mg", "directions": "1 at bedtime",
         "route": "oral", "prescribed_elsewhere_by": "Over the counter",
         "start_date": today(-30)},
    )  # fmt: skip
    assert response.status_code == 302
    medication = Medication.objects.get()
    assert medication.patient_reported
    edit = reverse("medications:edit", args=[medication.pk])
    assert client.get(edit).context["form"]["strength"].value() == "3 mg"
    data = {"formulary_entry": "other", "name": "Melatonin", "controlled_schedule": "none",
            "strength": "5 mg", "directions": "1 at bedtime",
            "route": "oral", "prescribed_elsewhere_by": "Over the counter",
            "effective_on": today(), "reason": "Raised it herself"}  # fmt: skip
    assert client.post(edit, data).status_code == 302
    assert medication.changes.get(kind=Kind.UPDATE).to_value == "strength: 5 mg"
    nothing = client.post(edit, {**data, "reason": "Asked again"})
    assert "Nothing changed." in nothing.content.decode()


def test_a_prescribed_medication_has_no_therapist_edit_page(shared_world, client):
    medication = start(shared_world)
    login(client, shared_world, "author")
    assert client.get(reverse("medications:edit", args=[medication.pk])).status_code == 404
    login(client, shared_world, "recipient")
    assert client.get(reverse("medications:edit", args=[medication.pk])).status_code == 404


def test_the_therapist_stops_a_patient_reported_medication(shared_world, client):
    medication = report(shared_world)
    login(client, shared_world, "author")
    response = client.post(
        reverse("medications:stop", args=[medication.pk]), {"stopped_on": today()}
    )
    assert response.status_code == 302
    medication.refresh_from_db()
    assert medication.status == Medication.Status.STOPPED


def test_the_therapist_requests_a_late_refill_and_is_told_so(shared_world, client):
    medication = start(shared_world, name="Clonazepam", controlled_schedule="IV")
    login(client, shared_world, "author")
    url = reverse("medications:refill_request", args=[medication.pk])
    form_page = client.get(url).content.decode()
    assert "asks for 10 days&#x27; notice" in form_page
    response = client.post(url, {"needed_by": today(3), "note": "Runs out Sunday"}, follow=True)
    assert "marked late for the prescriber" in response.content.decode()
    refill = RefillRequest.objects.get()
    assert refill.late


def test_a_refill_far_ahead_or_past_is_refused_on_the_form(shared_world, client):
    medication = start(shared_world)
    login(client, shared_world, "author")
    url = reverse("medications:refill_request", args=[medication.pk])
    assert "cannot be in the past" in client.post(url, {"needed_by": today(-1)}).content.decode()
    assert "at most 90 days" in client.post(url, {"needed_by": today(120)}).content.decode()
    assert not RefillRequest.objects.exists()


def test_a_therapist_without_a_release_cannot_open_the_refill_page(world, client):
    medication = start(world)
    login(client, world, "author")
    url = reverse("medications:refill_request", args=[medication.pk])
    assert client.get(url).status_code == 404


# --- the prescriber handles refill requests -------------------------------------------


def refill_for(world, **fields):
    from medications import services

    medication = start(world, **fields)
    return services.refill_request_create(
        medication=medication,
        requested_by=world.author.user,
        needed_by=timezone.localdate() + dt.timedelta(days=4),
    )


def test_the_prescriber_sends_a_refill(shared_world, client):
    refill = refill_for(shared_world)
    login(client, shared_world, "recipient")
    listing = client.get(reverse("medications:refill_list")).content.decode()
    assert "Sertraline" in listing
    response = client.post(reverse("medications:refill_send", args=[refill.pk]))
    assert response.status_code == 302
    refill.refresh_from_db()
    assert refill.status == RefillRequest.Status.SENT
    sent = client.get(reverse("medications:refill_list"), {"status": "sent"}).content.decode()
    assert "Sent to pharmacy" in sent


def test_declining_needs_a_reason_and_the_therapist_reads_it(shared_world, client):
    refill = refill_for(shared_world)
    login(client, shared_world, "recipient")
    url = reverse("medications:refill_decline", args=[refill.pk])
    assert "Say why" in client.post(url, {"reason": ""}).content.decode()
    assert client.post(url, {"reason": "Visit first, please"}).status_code == 302
    login(client, shared_world, "author")
    body = client.get(reverse("medications:refill_list"), {"status": "declined"}).content.decode()
    assert "Visit first, please" in body


def test_the_therapist_does_not_handle_refills(shared_world, client):
    refill = refill_for(shared_world)
    login(client, shared_world, "author")
    assert client.post(reverse("medications:refill_send", args=[refill.pk])).status_code == 404
    assert client.get(reverse("medications:refill_decline", args=[refill.pk])).status_code == 404
    refill.refresh_from_db()
    assert refill.status == RefillRequest.Status.OPEN


def test_the_late_flag_shows_on_the_refill_list_first(shared_world, client):
    refill_for(shared_world)
    refill_for(shared_world, name="Clonazepam", controlled_schedule="IV")
    login(client, shared_world, "recipient")
    body = client.get(reverse("medications:refill_list")).content.decode()
    assert body.index("Clonazepam") < body.index("Sertraline")
    assert ">late</span>" in body


def test_a_request_shows_no_medication_its_reader_may_not_see(world, client):
    # No release: the therapist asked, but cannot read the prescriber's medication now.
    refill_for(world)
    login(client, world, "author")
    body = client.get(reverse("medications:refill_list")).content.decode()
    assert "a medication you cannot see now" in body
    assert "Sertraline" not in body


# --- reading ----------------------------------------------------------------------------


def test_the_medication_page_shows_its_history_and_observations(shared_world, client):
    medication = start(shared_world)
    observation(
        shared_world.case,
        shared_world.author.user,
        body="Nausea mornings",
        medications=[medication],
    )
    login(client, shared_world, "author")
    body = client.get(reverse("medications:detail", args=[medication.pk])).content.decode()
    assert "What changed when" in body
    assert "Started" in body
    assert "Nausea mornings" in body
    assert reverse("medications:refill_request", args=[medication.pk]) in body


def test_the_patient_history_lists_every_change(shared_world, client):
    medication = start(shared_world)
    from medications import services

    services.medication_stop(medication=medication, author=shared_world.recipient.user)
    login(client, shared_world, "author")
    response = client.get(reverse("medications:patient_history", args=[shared_world.patient.pk]))
    assert [c.kind for c in response.context["changes"]] == [Kind.STOP, Kind.START]


def test_the_caseload_says_what_is_due(shared_world, client):
    medication = start(shared_world, name="Clonazepam", controlled_schedule="IV")
    observation(
        shared_world.case,
        shared_world.author.user,
        observed_on=timezone.localdate() - dt.timedelta(days=45),
        question="Taper?",
    )
    from medications import services

    services.medication_change_dose(
        medication=medication,
        author=shared_world.recipient.user,
        kind=Kind.DECREASE,
        strength="0.25 mg",
        directions="1 tablet (0.25 mg)",
        effective_on=timezone.localdate() - dt.timedelta(days=2),
    )
    services.refill_request_create(
        medication=medication,
        requested_by=shared_world.author.user,
        needed_by=timezone.localdate() + dt.timedelta(days=2),
    )
    login(client, shared_world, "author")
    response = client.get(reverse("medications:caseload"))
    (row,) = response.context["rows"]
    assert row.days_since_observation == 45
    assert row.observation_due  # 45 days >= the clinic's 21 quiet days
    assert row.checkin_due  # the dose changed after the last observation
    assert row.open_questions == 1
    assert (row.open_refills, row.late_refills) == (1, 1)
    body = response.content.decode()
    assert "check-in due" in body
    login(client, shared_world, "recipient")
    (row,) = client.get(reverse("medications:caseload")).context["rows"]
    assert (row.to_review, row.flagged) == (1, 1)
    assert not row.checkin_due


def test_the_home_pages_show_what_waits(shared_world, client):
    refill_for(shared_world, name="Clonazepam", controlled_schedule="IV")
    observation(shared_world.case, shared_world.author.user, adherence="missed_doses")
    login(client, shared_world, "recipient")
    body = client.get(reverse("home")).content.decode()
    assert "Observations to review" in body
    assert "1 waiting" in body
    assert "1 late" in body
    assert 'id="caseload"' in body
