"""The psychotropic formulary: the shipped file, its schedules, the rule that gives a
medication its schedule, the command that updates it, and the clinic's own entries."""

import csv
import datetime as dt
import re

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from cases.demo import clinic_admin_group
from medications import formulary, services
from medications.formulary import COLUMNS, FORMULARY_CSV, read_formulary
from medications.models import FormularyEntry, Medication
from tests.conftest import share_everything
from tests.factories import ClinicFactory

from .kit import report, start

pytestmark = pytest.mark.django_db

# The DEA's published schedules (21 CFR 1308.12-1308.15) of the controlled medications
# most prescribed in outpatient psychiatry.
DEA_SCHEDULES = {
    "methylphenidate": "II",
    "dexmethylphenidate": "II",
    "amphetamine": "II",
    "dextroamphetamine": "II",
    "lisdexamfetamine": "II",
    "methamphetamine": "II",
    "methadone": "II",
    "buprenorphine": "III",
    "buprenorphine and naloxone": "III",
    "esketamine": "III",
    "clonazepam": "IV",
    "lorazepam": "IV",
    "alprazolam": "IV",
    "diazepam": "IV",
    "chlordiazepoxide": "IV",
    "temazepam": "IV",
    "triazolam": "IV",
    "zolpidem": "IV",
    "eszopiclone": "IV",
    "zaleplon": "IV",
    "suvorexant": "IV",
    "modafinil": "IV",
    "armodafinil": "IV",
    "pregabalin": "V",
    "lacosamide": "V",
}
# Not federally controlled (some states schedule gabapentin; the formulary is federal).
NOT_CONTROLLED = ["gabapentin", "sertraline", "bupropion", "atomoxetine", "trazodone", "quetiapine"]
# Classes whose every member is a controlled substance.
CONTROLLED_CLASSES = {"stimulant", "benzodiazepine", "z_drug_hypnotic", "orexin_antagonist"}


def shipped(name: str) -> FormularyEntry:
    return FormularyEntry.objects.get(clinic=None, generic_name=name)


# --- the file ---------------------------------------------------------------------------


def test_the_file_lists_at_least_80_psychotropics_with_the_required_columns():
    rows = read_formulary()
    assert len(rows) >= 80
    for row in rows:
        assert row["generic_name"] and row["drug_class"] and row["strengths"] and row["forms"]


@pytest.mark.parametrize(("generic_name", "schedule"), sorted(DEA_SCHEDULES.items()))
def test_the_named_controlled_medications_have_their_dea_schedule(generic_name, schedule):
    rows = {row["generic_name"]: row for row in read_formulary()}
    assert rows[generic_name]["dea_schedule"] == schedule


def test_every_controlled_medication_has_a_schedule_and_no_other_does():
    rows = read_formulary()
    for row in rows:
        if row["drug_class"] in CONTROLLED_CLASSES or row["generic_name"] in DEA_SCHEDULES:
            assert row["dea_schedule"] in {"II", "III", "IV", "V"}, row["generic_name"]
    by_name = {row["generic_name"]: row for row in rows}
    for name in NOT_CONTROLLED:
        assert by_name[name]["dea_schedule"] == "", name


def test_an_rxcui_is_a_number_with_its_source_and_the_others_are_blank():
    for row in read_formulary():
        if row["rxnorm_rxcui"]:
            assert re.fullmatch(r"[0-9]+", row["rxnorm_rxcui"])
            assert row["rxnorm_source"] == "cpic"
        else:
            assert row["rxnorm_source"] == ""


def test_the_migration_loaded_the_file_into_the_table():
    rows = read_formulary()
    assert FormularyEntry.objects.filter(clinic=None, active=True).count() == len(rows)
    assert shipped("clonazepam").dea_schedule == "IV"
    assert shipped("sertraline").rxnorm_rxcui == "36437"
    assert "Klonopin" in shipped("clonazepam").brand_list


def test_a_broken_file_is_refused_with_the_line_named(tmp_path):
    path = tmp_path / "formulary.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerow(["xanadu", "", "ssri", "VI", "mg", "1 mg", "tablet", "", ""])
    with pytest.raises(formulary.FormularyFileError, match="Line 2 .*schedule"):
        read_formulary(path)


# --- the command ------------------------------------------------------------------------


def _write(path, rows):
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def test_the_command_changes_nothing_when_the_table_matches_the_file(capsys):
    call_command("load_formulary")
    assert "0 added, 0 updated, 0 retired" in capsys.readouterr().out


def test_the_command_updates_a_schedule_and_the_medications_follow(shared_world, tmp_path):
    medication = start(shared_world, name="Modafinil", strength="100 mg")
    assert medication.controlled_schedule == "IV"
    rows = read_formulary(FORMULARY_CSV)
    for row in rows:
        if row["generic_name"] == "modafinil":
            row["dea_schedule"] = "III"  # as if the DEA rescheduled it
    rows = [row for row in rows if row["generic_name"] != "zaleplon"]
    path = tmp_path / "formulary.csv"
    _write(path, rows)
    call_command("load_formulary", file=path)
    medication.refresh_from_db()
    assert medication.controlled_schedule == "III"
    assert not shipped("zaleplon").active  # retired, not deleted
    logged = LogEntry.objects.get_for_object(medication)
    assert logged.filter(changes__icontains="controlled_schedule").exists()


def test_the_command_refuses_a_missing_file(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Cannot load"):
        call_command("load_formulary", file=tmp_path / "nothing.csv")


# --- the schedule rule ------------------------------------------------------------------


def test_a_medication_started_from_the_formulary_takes_its_schedule(shared_world):
    medication = start(shared_world, name=None, formulary_entry=shipped("lorazepam"))
    assert medication.name == "Lorazepam"
    assert medication.controlled_schedule == "IV"
    assert medication.formulary_entry == shipped("lorazepam")


def test_a_schedule_contradicting_the_formulary_is_refused(shared_world):
    with pytest.raises(ValidationError) as refused:
        start(shared_world, name="Clonazepam", controlled_schedule="")
    assert "schedule IV in the formulary" in str(refused.value)
    with pytest.raises(ValidationError):
        start(shared_world, formulary_entry=shipped("methylphenidate"), controlled_schedule="IV")
    assert not Medication.objects.exists()


@pytest.mark.parametrize(
    ("typed", "generic_name"),
    [("Xanax", "alprazolam"), ("Bupropion XL", "bupropion"), ("lithium", "lithium carbonate")],
)
def test_a_typed_name_the_formulary_knows_takes_the_formularys_schedule(
    shared_world, typed, generic_name
):
    medication = start(shared_world, name=typed)
    assert medication.formulary_entry == shipped(generic_name)
    assert medication.controlled_schedule == shipped(generic_name).dea_schedule


def test_other_needs_its_schedule(shared_world):
    with pytest.raises(ValidationError) as refused:
        start(shared_world, name="Synthetamine")
    assert "not in the formulary" in str(refused.value)
    medication = start(shared_world, name="Synthetamine", controlled_schedule="II")
    assert medication.formulary_entry is None
    assert medication.controlled_schedule == "II"


def test_a_patient_reported_medication_follows_the_same_rule(shared_world):
    medication = report(shared_world, name="Ambien", controlled_schedule=None)
    assert medication.name == "Zolpidem"
    assert medication.controlled_schedule == "IV"


def test_the_late_refill_rule_uses_the_formularys_schedule(shared_world):
    # Started without a schedule said: the formulary's (IV) applies.
    medication = start(shared_world, name=None, formulary_entry=shipped("clonazepam"))
    refill = services.refill_request_create(
        medication=medication,
        requested_by=shared_world.author.user,
        needed_by=timezone.localdate() + dt.timedelta(days=3),
    )
    assert refill.late
    sertraline = start(shared_world, name=None, formulary_entry=shipped("sertraline"))
    on_time = services.refill_request_create(
        medication=sertraline,
        requested_by=shared_world.author.user,
        needed_by=timezone.localdate() + dt.timedelta(days=3),
    )
    assert not on_time.late


# --- the start form ---------------------------------------------------------------------


def test_the_start_form_offers_the_formulary_as_a_select_with_other(shared_world, client):
    client.force_login(shared_world.recipient.user)
    page = client.get(reverse("medications:start", args=[shared_world.patient.pk]))
    body = page.content.decode()
    assert 'data-formulary="1"' in body
    assert '<optgroup label="Benzodiazepine">' in body
    assert "Clonazepam (Klonopin) · C-IV" in body
    assert 'value="other"' in body and "Other (not in the list)" in body
    assert "js/formulary.js" in body
    # No inline script (CSP): every <script> has a src.
    assert re.findall(r"<script(?![^>]*\bsrc=)", body) == []


def test_other_without_a_schedule_is_refused_on_the_form(shared_world, client):
    client.force_login(shared_world.recipient.user)
    url = reverse("medications:start", args=[shared_world.patient.pk])
    data = {
        "formulary_entry": "other",
        "name": "Synthetamine",
        "strength": "5 mg",
        "directions": "1 tablet",
        "route": "oral",
        "start_date": timezone.localdate().isoformat(),
    }
    response = client.post(url, data)
    assert "Say whether it is a controlled substance" in response.content.decode()
    assert not Medication.objects.exists()
    assert client.post(url, {**data, "controlled_schedule": "none"}).status_code == 302
    assert Medication.objects.get().controlled_schedule == ""


def test_other_under_a_formulary_name_cannot_contradict_it_on_the_form(shared_world, client):
    client.force_login(shared_world.recipient.user)
    response = client.post(
        reverse("medications:start", args=[shared_world.patient.pk]),
        {"formulary_entry": "other", "name": "Xanax", "controlled_schedule": "none",
         "strength": "0.5 mg", "directions": "1 tablet", "route": "oral",
         "start_date": timezone.localdate().isoformat()},
    )  # fmt: skip
    assert "Alprazolam is schedule IV in the formulary" in response.content.decode()
    assert not Medication.objects.exists()


# --- the clinic's own entries -----------------------------------------------------------


@pytest.fixture
def clinic_admin(world):
    admin = world.clinic_admin.user
    admin.is_staff = True
    admin.save()
    admin.groups.add(clinic_admin_group())
    return admin


def test_a_clinic_admin_adds_an_entry_of_their_clinic(world, clinic_admin, client):
    client.force_login(clinic_admin)
    response = client.post(
        reverse("admin:medications_formularyentry_add"),
        {"generic_name": "Synthezepam", "drug_class": "benzodiazepine", "dea_schedule": "IV",
         "dose_unit": "mg", "strengths": "1 mg", "forms": "tablet", "active": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    entry = FormularyEntry.objects.get(generic_name="synthezepam")
    assert entry.clinic_id == world.clinic.pk
    assert LogEntry.objects.get_for_object(entry).exists()  # audited
    # It is offered on the start form of the clinic's patients, and its schedule applies.
    medication = start(share_everything(world), name="Synthezepam")
    assert medication.formulary_entry == entry and medication.controlled_schedule == "IV"


def test_a_clinic_admin_cannot_edit_a_shipped_entry_or_duplicate_it(world, clinic_admin, client):
    client.force_login(clinic_admin)
    entry = shipped("clonazepam")
    change = client.post(
        reverse("admin:medications_formularyentry_change", args=[entry.pk]),
        {"generic_name": "clonazepam", "drug_class": "benzodiazepine", "dea_schedule": "",
         "dose_unit": "mg"},
    )  # fmt: skip
    assert change.status_code == 403
    assert shipped("clonazepam").dea_schedule == "IV"
    duplicate = client.post(
        reverse("admin:medications_formularyentry_add"),
        {"generic_name": "Clonazepam", "drug_class": "benzodiazepine", "dea_schedule": "",
         "dose_unit": "mg", "active": "on"},
    )  # fmt: skip
    assert "already in the shipped formulary" in duplicate.content.decode()
    assert FormularyEntry.objects.filter(generic_name="clonazepam").count() == 1


def test_another_clinics_entries_are_neither_listed_nor_offered(world, clinic_admin, client):
    elsewhere = ClinicFactory(name="Elsewhere")
    theirs = FormularyEntry.objects.create(
        clinic=elsewhere, generic_name="elsewherine", drug_class="ssri"
    )
    client.force_login(clinic_admin)
    listing = client.get(reverse("admin:medications_formularyentry_changelist") + "?q=elsewh")
    assert "elsewherine" not in listing.content.decode()
    assert theirs not in formulary.formulary_for_clinic(world.clinic.pk)
    with pytest.raises(ValidationError):
        formulary.resolve_medication(
            clinic_id=world.clinic.pk, formulary_entry=theirs, controlled_schedule=None
        )
