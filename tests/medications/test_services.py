"""Medication services: each change writes exactly one MedicationChange, the rules of who
may change what, validation, grants under the release, and the late flag of refills."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from medications import services
from medications.models import Medication, MedicationChange, RefillRequest
from releases import gate

from .kit import report, start

pytestmark = pytest.mark.django_db

Kind = MedicationChange.Kind
TODAY = timezone.localdate


def days_ago(n: int) -> dt.date:
    return TODAY() - dt.timedelta(days=n)


def increase(world, medication, **fields):
    values = {
        "medication": medication,
        "author": world.recipient.user,
        "kind": Kind.INCREASE,
        "strength": "100 mg",
        "directions": "1 tablet (100 mg) in the morning",
        "effective_on": days_ago(1),
        "reason": "Partial response",
    }
    values.update(fields)
    return services.medication_change_dose(**values)


# --- exactly one MedicationChange per change ---------------------------------------


def _start(world, medication, reported):
    return start(world, name="Bupropion XL")


def _increase(world, medication, reported):
    return increase(world, medication)


def _decrease(world, medication, reported):
    return increase(world, medication, kind=Kind.DECREASE, strength="25 mg")


def _switch(world, medication, reported):
    return services.medication_switch(
        medication=medication,
        author=world.recipient.user,
        name="Escitalopram",
        strength="10 mg",
        directions="1 tablet in the morning",
        effective_on=days_ago(2),
    )


def _stop(world, medication, reported):
    return services.medication_stop(
        medication=medication, author=world.recipient.user, stopped_on=days_ago(1)
    )


def _fill(world, medication, reported):
    return services.medication_fill(
        medication=medication,
        author=world.recipient.user,
        filled_on=days_ago(5),
        quantity=30,
        days_supply=30,
        refills_left=2,
    )


def _report(world, medication, reported):
    return report(world, name="Ibuprofen")


def _update_reported(world, medication, reported):
    return services.medication_report_update(
        medication=reported, author=world.author.user, strength="5 mg"
    )


def _stop_reported(world, medication, reported):
    return services.medication_stop(medication=reported, author=world.author.user)


@pytest.mark.parametrize(
    ("action", "kind"),
    [
        (_start, Kind.START),
        (_increase, Kind.INCREASE),
        (_decrease, Kind.DECREASE),
        (_switch, Kind.SWITCH),
        (_stop, Kind.STOP),
        (_fill, Kind.FILL),
        (_report, Kind.START),
        (_update_reported, Kind.UPDATE),
        (_stop_reported, Kind.STOP),
    ],
)
def test_every_medication_change_writes_exactly_one_medication_change(shared_world, action, kind):
    medication = start(shared_world)
    reported = report(shared_world)
    before = set(MedicationChange.objects.values_list("pk", flat=True))
    action(shared_world, medication, reported)
    new = MedicationChange.objects.exclude(pk__in=before)
    assert new.count() == 1
    assert new.get().kind == kind


def test_starting_a_medication_records_who_prescribed_it_and_its_start(shared_world):
    medication = start(shared_world, reason="First SSRI trial")
    assert medication.prescriber == shared_world.recipient
    assert medication.recorded_by == shared_world.recipient.user
    assert not medication.patient_reported
    assert medication.last_fill_date == days_ago(40)
    change = medication.changes.get()
    assert change.kind == Kind.START
    assert change.effective_on == days_ago(40)
    assert change.to_value == "50 mg · 1 tablet in the morning · once daily"
    assert change.reason == "First SSRI trial"


def test_a_dose_increase_records_from_and_to_and_changes_the_medication(shared_world):
    medication = start(shared_world)
    change = increase(shared_world, medication, frequency="once daily")
    medication.refresh_from_db()
    assert medication.strength == "100 mg"
    assert change.from_value.startswith("50 mg")
    assert change.to_value.startswith("100 mg")
    assert change.effective_on == days_ago(1)


def test_a_switch_stops_the_old_medication_and_starts_the_new_one(shared_world):
    medication = start(shared_world)
    refill = services.refill_request_create(
        medication=medication, requested_by=shared_world.author.user, needed_by=days_ago(-5)
    )
    replacement = _switch(shared_world, medication, None)
    medication.refresh_from_db()
    refill.refresh_from_db()
    assert medication.status == Medication.Status.STOPPED
    assert medication.stop_date == days_ago(2)
    assert replacement.status == Medication.Status.ACTIVE
    assert replacement.start_date == days_ago(2)
    assert replacement.prescriber == shared_world.recipient
    change = medication.changes.get(kind=Kind.SWITCH)
    assert change.switched_to == replacement
    assert not replacement.changes.exists()  # its history starts with the switch
    assert refill.status == RefillRequest.Status.DECLINED
    assert "switched" in refill.decline_reason


def test_stopping_closes_the_open_refill_request(shared_world):
    medication = start(shared_world)
    refill = services.refill_request_create(
        medication=medication, requested_by=shared_world.author.user, needed_by=days_ago(-5)
    )
    _stop(shared_world, medication, None)
    refill.refresh_from_db()
    assert refill.status == RefillRequest.Status.DECLINED
    assert refill.handled_by == shared_world.recipient.user


def test_a_fill_sets_the_supply(shared_world):
    medication = start(shared_world)
    change = _fill(shared_world, medication, None)
    medication.refresh_from_db()
    assert medication.last_fill_date == days_ago(5)
    assert medication.supply_ends_on == days_ago(5) + dt.timedelta(days=30)
    assert change.to_value == "quantity 30, 30 days, 2 refills left"


def test_a_therapist_records_and_updates_a_patient_reported_medication(shared_world):
    medication = report(shared_world)
    assert medication.patient_reported
    assert medication.prescriber is None
    change = services.medication_report_update(
        medication=medication,
        author=shared_world.author.user,
        strength="5 mg",
        reason="Raised it herself",
    )
    assert change.kind == Kind.UPDATE
    assert change.from_value == "strength: 3 mg"
    assert change.to_value == "strength: 5 mg"


# --- who may change what ------------------------------------------------------------


def test_a_therapist_cannot_prescribe(shared_world):
    with pytest.raises(PermissionDenied):
        start(shared_world, author=shared_world.author.user)


def test_a_prescriber_off_the_care_team_cannot_prescribe(shared_world, world):
    from tests.factories import ClinicianFactory

    stranger = ClinicianFactory(clinic=world.clinic, role="prescriber", user__username="stranger")
    with pytest.raises(PermissionDenied):
        start(shared_world, author=stranger.user)
    assert not Medication.objects.exists()


def test_only_the_prescriber_who_started_it_changes_the_dose(shared_world):
    medication = start(shared_world)
    with pytest.raises(PermissionDenied):
        increase(shared_world, medication, author=shared_world.colleague.user)
    medication.refresh_from_db()
    assert medication.strength == "50 mg"
    assert medication.changes.count() == 1


def test_a_prescriber_does_not_change_a_patient_reported_medication(shared_world):
    medication = report(shared_world)
    with pytest.raises(PermissionDenied):
        services.medication_stop(medication=medication, author=shared_world.recipient.user)


def test_a_patient_reported_medication_has_no_dose_change_or_fill(shared_world):
    medication = report(shared_world)
    with pytest.raises(PermissionDenied):  # a therapist never changes a dose
        increase(shared_world, medication, author=shared_world.author.user)


def test_a_prescribed_medication_is_not_updated_as_patient_reported(shared_world):
    medication = start(shared_world)
    with pytest.raises(ValidationError):
        services.medication_report_update(
            medication=medication, author=shared_world.recipient.user, strength="5 mg"
        )


# --- validation ----------------------------------------------------------------------


def _messages(error: ValidationError) -> str:
    return " ".join(error.messages)


def test_a_change_cannot_be_dated_in_the_future_or_before_the_start(shared_world):
    medication = start(shared_world)
    with pytest.raises(ValidationError) as future:
        increase(shared_world, medication, effective_on=days_ago(-1))
    assert "future" in _messages(future.value)
    with pytest.raises(ValidationError) as early:
        increase(shared_world, medication, effective_on=days_ago(41))
    assert "cannot be earlier" in _messages(early.value)
    assert medication.changes.count() == 1


def test_a_dose_change_must_change_the_dose(shared_world):
    medication = start(shared_world)
    with pytest.raises(ValidationError) as error:
        increase(shared_world, medication, strength="50 mg")
    assert "same as the current" in _messages(error.value)


def test_a_dose_change_is_an_increase_or_a_decrease(shared_world):
    medication = start(shared_world)
    with pytest.raises(ValidationError):
        increase(shared_world, medication, kind=Kind.FILL)


def test_a_stopped_medication_is_not_changed(shared_world):
    medication = start(shared_world)
    _stop(shared_world, medication, None)
    with pytest.raises(ValidationError) as error:
        increase(shared_world, medication)
    assert "stopped" in _messages(error.value)


def test_the_same_medication_is_not_active_twice(shared_world):
    start(shared_world)
    with pytest.raises(ValidationError) as error:
        start(shared_world, name=" sertraline ")
    assert "already on the patient's active list" in _messages(error.value)


def test_a_switch_is_to_another_medication(shared_world):
    medication = start(shared_world)
    with pytest.raises(ValidationError):
        services.medication_switch(
            medication=medication,
            author=shared_world.recipient.user,
            name="SERTRALINE",
            strength="100 mg",
            directions="1 tablet",
        )


@pytest.mark.parametrize(
    ("field", "value"),
    [("quantity", 0), ("quantity", 20000), ("days_supply", 0), ("days_supply", 400)],
)
def test_quantities_out_of_range_are_refused(shared_world, field, value):
    with pytest.raises(ValidationError) as error:
        start(shared_world, **{field: value})
    assert field in error.value.message_dict
    assert not Medication.objects.exists()


def test_a_fill_before_the_last_fill_is_refused(shared_world):
    medication = start(shared_world)
    _fill(shared_world, medication, None)
    with pytest.raises(ValidationError) as error:
        services.medication_fill(
            medication=medication,
            author=shared_world.recipient.user,
            filled_on=days_ago(10),
            quantity=30,
            days_supply=30,
        )
    assert "later fill" in _messages(error.value)


def test_an_update_that_changes_nothing_is_refused(shared_world):
    medication = report(shared_world)
    with pytest.raises(ValidationError) as error:
        services.medication_report_update(
            medication=medication, author=shared_world.author.user, strength="3 mg"
        )
    assert "Nothing changed" in _messages(error.value)


# --- grants --------------------------------------------------------------------------


def test_each_write_is_granted_to_the_other_clinician_under_the_release(shared_world):
    medication = start(shared_world)
    change = increase(shared_world, medication)
    therapist = shared_world.author.user
    assert gate.can_read(therapist, medication)
    assert gate.can_read(therapist, change)
    reported = report(shared_world)
    assert gate.can_read(shared_world.recipient.user, reported)
    # The colleague is on the care team with no release: nothing.
    assert not gate.can_read(shared_world.colleague.user, medication)
    assert not gate.can_read(shared_world.colleague.user, reported)


# --- refill requests: late or timely ---------------------------------------------------


def request_refill(world, medication, needed_in_days: int, **fields):
    return services.refill_request_create(
        medication=medication,
        requested_by=world.author.user,
        needed_by=TODAY() + dt.timedelta(days=needed_in_days),
        **fields,
    )


def test_a_controlled_substance_asked_for_inside_the_lead_time_is_late(shared_world):
    assert shared_world.clinic.controlled_refill_lead_days == 10
    medication = start(shared_world, name="Clonazepam", controlled_schedule="IV")
    refill = request_refill(shared_world, medication, 9)
    assert refill.late
    assert refill.notice_days == 9


def test_a_controlled_substance_asked_for_with_the_full_lead_time_is_timely(shared_world):
    medication = start(shared_world, name="Methylphenidate ER", controlled_schedule="II")
    refill = request_refill(shared_world, medication, 10)
    assert not refill.late


def test_a_non_controlled_medication_is_never_late(shared_world):
    medication = start(shared_world)
    refill = request_refill(shared_world, medication, 0)
    assert not refill.late


def test_the_lead_time_is_the_clinic_s(shared_world):
    clinic = shared_world.clinic
    clinic.controlled_refill_lead_days = 3
    clinic.save(update_fields=["controlled_refill_lead_days"])
    medication = start(shared_world, name="Clonazepam", controlled_schedule="IV")
    assert not request_refill(shared_world, medication, 3).late


@time_machine.travel(dt.datetime(2026, 3, 2, 3, 30, tzinfo=dt.UTC), tick=False)
def test_notice_counts_from_the_clinic_s_local_date(shared_world, settings):
    # 03:30 UTC on 2 March is still 1 March in New York: 10 days' notice to 11 March.
    assert settings.TIME_ZONE == "America/New_York"
    assert timezone.localdate() == dt.date(2026, 3, 1)
    medication = start(shared_world, name="Clonazepam", controlled_schedule="IV")
    refill = services.refill_request_create(
        medication=medication,
        requested_by=shared_world.author.user,
        needed_by=dt.date(2026, 3, 11),
    )
    assert refill.requested_at.astimezone(zoneinfo.ZoneInfo("UTC")).day == 2
    assert refill.notice_days == 10
    assert not refill.late


def test_refill_rule_in_isolation():
    on = dt.date(2026, 1, 31)
    late = RefillRequest.is_late
    assert late(controlled=True, requested_on=on, needed_by=dt.date(2026, 2, 9), lead_days=10)
    assert not late(controlled=True, requested_on=on, needed_by=dt.date(2026, 2, 10), lead_days=10)
    assert not late(controlled=False, requested_on=on, needed_by=on, lead_days=10)


@pytest.mark.parametrize(("needed_in", "message"), [(-1, "past"), (91, "at most 90 days")])
def test_a_refill_needed_in_the_past_or_far_ahead_is_refused(shared_world, needed_in, message):
    medication = start(shared_world)
    with pytest.raises(ValidationError) as error:
        request_refill(shared_world, medication, needed_in)
    assert message in _messages(error.value)
    assert not RefillRequest.objects.exists()


def test_one_open_refill_request_per_medication(shared_world):
    medication = start(shared_world)
    request_refill(shared_world, medication, 5)
    with pytest.raises(ValidationError) as error:
        request_refill(shared_world, medication, 6)
    assert "already requested" in _messages(error.value)


def test_no_refill_of_a_patient_reported_or_stopped_medication(shared_world):
    with pytest.raises(ValidationError):
        request_refill(shared_world, report(shared_world), 5)
    medication = start(shared_world)
    _stop(shared_world, medication, None)
    with pytest.raises(ValidationError):
        request_refill(shared_world, medication, 5)


def test_a_prescriber_does_not_request_refills(shared_world):
    medication = start(shared_world)
    with pytest.raises(PermissionDenied):
        services.refill_request_create(
            medication=medication, requested_by=shared_world.recipient.user, needed_by=TODAY()
        )


def test_the_prescriber_sends_or_declines_with_a_reason_once(shared_world):
    medication = start(shared_world)
    refill = request_refill(shared_world, medication, 5)
    with pytest.raises(PermissionDenied):
        services.refill_request_send(refill_request=refill, handler=shared_world.author.user)
    with pytest.raises(ValidationError):
        services.refill_request_decline(
            refill_request=refill, handler=shared_world.recipient.user, reason="  "
        )
    sent = services.refill_request_send(refill_request=refill, handler=shared_world.recipient.user)
    assert sent.status == RefillRequest.Status.SENT
    assert sent.handled_by == shared_world.recipient.user
    assert sent.handled_at is not None
    with pytest.raises(ValidationError) as error:
        services.refill_request_decline(
            refill_request=refill, handler=shared_world.recipient.user, reason="No"
        )
    assert "already sent" in _messages(error.value)


def test_a_declined_request_says_why(shared_world):
    medication = start(shared_world)
    refill = request_refill(shared_world, medication, 5)
    declined = services.refill_request_decline(
        refill_request=refill, handler=shared_world.recipient.user, reason="Visit first"
    )
    assert declined.status == RefillRequest.Status.DECLINED
    assert declined.decline_reason == "Visit first"


def test_a_refill_request_is_granted_to_the_prescriber(shared_world):
    medication = start(shared_world)
    refill = request_refill(shared_world, medication, 5)
    assert gate.can_read(shared_world.recipient.user, refill)
    assert not gate.can_read(shared_world.colleague.user, refill)
