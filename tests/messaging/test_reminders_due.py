"""Who is reminded of what, and when: each kind's due-date rule on a frozen clock.

The sweeps here create rows only (deliveries run after commit, which a test's
transaction never reaches); delivery has its own tests.
"""

import datetime as dt

import pytest

from cases.categories import Category
from medications.models import MedicationChange, RefillRequest
from messaging.models import Message, Reminder
from messaging.reminders import add_working_days, reminders_resolve_for
from tests.releasekit import make_release

from .test_reminders_kit import (  # noqa: F401  (the fixtures clock and rem)
    START,
    change,
    clock_fixture,
    due,
    medication,
    observation,
    question,
    refill_request,
    rem_fixture,
    stop,
    sweep,
)

pytestmark = pytest.mark.django_db

Kind = Reminder.Kind
D = dt.date
BOTH = {"author", "recipient"}  # the therapist and the prescriber who share under a release


def names(rows):
    return {username for username, _ in rows}


# --- refill due -------------------------------------------------------------------------


def test_refill_is_due_seven_days_before_the_supply_ends_across_a_month_end(rem, clock):
    # Filled on 31 January for 30 days: the supply ends on 2 March, the reminder is due
    # on 23 February.
    clock.to(D(2027, 1, 31))
    medication(rem, last_fill_date=D(2027, 1, 31), days_supply=30)

    clock.to(D(2027, 2, 22))
    sweep(Kind.REFILL_DUE)
    assert due(Kind.REFILL_DUE) == set()

    clock.to(D(2027, 2, 23))
    sweep(Kind.REFILL_DUE)
    assert due(Kind.REFILL_DUE) == {
        ("author", D(2027, 2, 23)),
        ("recipient", D(2027, 2, 23)),
    }


def test_refill_of_a_leap_year_february_fill_counts_the_29th(rem, clock):
    clock.to(D(2028, 2, 1))
    medication(rem, last_fill_date=D(2028, 2, 1), days_supply=28)  # ends 29 February
    clock.to(D(2028, 2, 22))
    sweep(Kind.REFILL_DUE)
    assert names(due(Kind.REFILL_DUE, due_on=D(2028, 2, 22))) == BOTH


def test_a_controlled_substance_is_reminded_ten_days_ahead(rem, clock):
    clock.to(D(2027, 1, 31))
    medication(rem, schedule="II", last_fill_date=D(2027, 1, 31), days_supply=30)
    medication(rem, name="Plainamine", last_fill_date=D(2027, 1, 31), days_supply=30)

    clock.to(D(2027, 2, 19))
    sweep(Kind.REFILL_DUE)
    assert due(Kind.REFILL_DUE) == set()

    clock.to(D(2027, 2, 20))  # 10 days before 2 March
    sweep(Kind.REFILL_DUE)
    assert due(Kind.REFILL_DUE) == {("author", D(2027, 2, 20)), ("recipient", D(2027, 2, 20))}


def test_the_clinics_own_lead_times_apply(rem, clock):
    rem.clinic.refill_lead_days = 3
    rem.clinic.save()
    medication(rem, last_fill_date=D(2027, 1, 15), days_supply=10)  # ends 25 January
    clock.to(D(2027, 1, 21))
    sweep(Kind.REFILL_DUE)
    assert due(Kind.REFILL_DUE) == set()
    clock.to(D(2027, 1, 22))
    sweep(Kind.REFILL_DUE)
    assert names(due(Kind.REFILL_DUE)) == BOTH


def test_a_medication_stopped_before_its_due_date_is_not_reminded(rem, clock):
    clock.to(D(2027, 1, 31))
    med = medication(rem, last_fill_date=D(2027, 1, 31), days_supply=30)
    clock.to(D(2027, 2, 10))
    stop(rem, med, D(2027, 2, 10))

    clock.to(D(2027, 2, 23))
    sweep(Kind.REFILL_DUE)
    assert not Reminder.objects.filter(kind=Kind.REFILL_DUE).exists()


def test_stopping_a_medication_resolves_its_refill_reminder(rem, clock):
    clock.to(D(2027, 1, 31))
    med = medication(rem, last_fill_date=D(2027, 1, 31), days_supply=30)
    clock.to(D(2027, 2, 23))
    sweep(Kind.REFILL_DUE)
    assert names(due(Kind.REFILL_DUE)) == BOTH

    clock.to(D(2027, 2, 24))
    stop(rem, med, D(2027, 2, 24))
    sweep(Kind.REFILL_DUE)
    assert due(Kind.REFILL_DUE) == set()
    assert set(Reminder.objects.values_list("status", flat=True)) == {Reminder.Status.RESOLVED}


def test_an_open_refill_request_means_no_reminder_and_resolves_one(rem, clock):
    clock.to(D(2027, 1, 31))
    med = medication(rem, last_fill_date=D(2027, 1, 31), days_supply=30)
    clock.to(D(2027, 2, 23))
    sweep(Kind.REFILL_DUE)
    assert names(due(Kind.REFILL_DUE)) == BOTH

    request = refill_request(rem, med, late=False, needed_by=D(2027, 3, 2))
    assert reminders_resolve_for(request) == 2
    assert due(Kind.REFILL_DUE) == set()
    # Handled (sent to the pharmacy) since the last fill: still nothing to remind.
    RefillRequest.objects.filter(pk=request.pk).update(status=RefillRequest.Status.SENT)
    sweep(Kind.REFILL_DUE)
    assert due(Kind.REFILL_DUE) == set()


def test_a_new_fill_starts_a_new_cycle(rem, clock):
    clock.to(D(2027, 1, 31))
    med = medication(rem, last_fill_date=D(2027, 1, 31), days_supply=30)
    clock.to(D(2027, 2, 23))
    sweep(Kind.REFILL_DUE)
    clock.to(D(2027, 2, 28))
    med.last_fill_date = D(2027, 2, 28)
    med.save(update_fields=["last_fill_date"])
    sweep(Kind.REFILL_DUE)
    assert due(Kind.REFILL_DUE) == set()  # the old cycle's reminders resolved
    clock.to(D(2027, 3, 23))  # 28 Feb + 30 days = 30 March; minus 7
    sweep(Kind.REFILL_DUE)
    assert {d for _, d in due(Kind.REFILL_DUE)} == {D(2027, 3, 23)}


def test_only_clinicians_who_may_read_the_medication_are_reminded(rem, clock):
    # The colleague and other_category are on the care team without a release that
    # covers the prescriber's medications: they are never told one exists.
    medication(rem, last_fill_date=D(2027, 1, 15), days_supply=5)
    sweep(Kind.REFILL_DUE)
    assert names(due(Kind.REFILL_DUE)) == BOTH


def test_revoking_the_release_resolves_the_therapists_refill_reminder(rem, clock):
    from releases.services import release_revoke

    medication(rem, last_fill_date=D(2027, 1, 15), days_supply=5)
    sweep(Kind.REFILL_DUE)
    release_revoke(release=rem.extra["release"], actor=rem.clinic_admin.user, reason="Revoked")
    sweep(Kind.REFILL_DUE)
    assert names(due(Kind.REFILL_DUE)) == {"recipient"}


# --- late refill request ------------------------------------------------------------------


def test_a_late_controlled_request_reminds_both_clinicians_on_the_day_it_came(rem, clock):
    med = medication(rem, schedule="IV", last_fill_date=D(2027, 1, 1), days_supply=30)
    refill_request(rem, med, late=True, needed_by=D(2027, 1, 18))
    refill_request(rem, medication(rem, name="Ontimeamine"), late=False)
    sweep(Kind.LATE_REFILL)
    assert due(Kind.LATE_REFILL) == {("author", START), ("recipient", START)}


def test_a_late_request_resolves_for_whoever_explores_it_in_an_observation(rem, clock):
    med = medication(rem, schedule="IV", last_fill_date=D(2027, 1, 1), days_supply=30)
    refill_request(rem, med, late=True, needed_by=D(2027, 1, 18))
    sweep(Kind.LATE_REFILL)
    clock.to(D(2027, 1, 18))
    # The therapist explored it in session; the note may be private (process material).
    observation(rem, shared=False, body="Explored the late request")
    sweep(Kind.LATE_REFILL)
    assert names(due(Kind.LATE_REFILL)) == {"recipient"}


def test_a_late_request_lapses_after_two_weeks(rem, clock):
    med = medication(rem, schedule="IV", last_fill_date=D(2027, 1, 1), days_supply=30)
    refill_request(rem, med, late=True, needed_by=D(2027, 1, 18))
    sweep(Kind.LATE_REFILL)
    clock.to(START + dt.timedelta(days=15))
    sweep(Kind.LATE_REFILL)
    assert due(Kind.LATE_REFILL) == set()


# --- check-in due ---------------------------------------------------------------------------


def started(rem, clock, on: D):
    clock.to(on)
    med = medication(rem, start_date=on)
    change(rem, med, MedicationChange.Kind.START, on)
    return med


def test_checkin_is_due_7_days_after_a_start_across_the_month_end_to_the_therapist(rem, clock):
    started(rem, clock, D(2027, 1, 24))
    clock.to(D(2027, 1, 30))
    sweep(Kind.CHECKIN_DUE)
    assert due(Kind.CHECKIN_DUE) == set()
    clock.to(D(2027, 1, 31))
    sweep(Kind.CHECKIN_DUE)
    assert due(Kind.CHECKIN_DUE) == {("author", D(2027, 1, 31))}  # the prescriber is not asked


def test_the_28_day_checkin_replaces_the_7_day_one(rem, clock):
    started(rem, clock, D(2027, 1, 24))
    clock.to(D(2027, 1, 31))
    sweep(Kind.CHECKIN_DUE)
    clock.to(D(2027, 2, 21))
    sweep(Kind.CHECKIN_DUE)
    assert due(Kind.CHECKIN_DUE) == {("author", D(2027, 2, 21))}
    assert Reminder.objects.get(due_on=D(2027, 1, 31)).status == Reminder.Status.RESOLVED


def test_an_observation_about_the_change_resolves_the_checkin(rem, clock):
    started(rem, clock, D(2027, 1, 24))
    clock.to(D(2027, 1, 31))
    sweep(Kind.CHECKIN_DUE)
    clock.to(D(2027, 2, 2))
    logged = observation(rem, adherence="as_prescribed", response="better")
    assert reminders_resolve_for(logged) == 1
    assert due(Kind.CHECKIN_DUE) == set()


def test_the_answer_to_the_7_day_checkin_does_not_answer_the_28_day_one(rem, clock):
    started(rem, clock, D(2027, 1, 24))
    clock.to(D(2027, 2, 2))  # day 9
    observation(rem, adherence="as_prescribed")
    clock.to(D(2027, 2, 21))  # day 28
    sweep(Kind.CHECKIN_DUE)
    assert due(Kind.CHECKIN_DUE) == {("author", D(2027, 2, 21))}
    clock.to(D(2027, 2, 22))
    observation(rem, response="same", observed_on=D(2027, 2, 11))  # day 18 counts
    sweep(Kind.CHECKIN_DUE)
    assert due(Kind.CHECKIN_DUE) == set()


def test_what_does_not_count_as_an_observation_about_the_change(rem, clock):
    med = started(rem, clock, D(2027, 1, 24))
    other = medication(rem, name="Otheramine")
    clock.to(D(2027, 1, 31))
    observation(rem, adherence="as_prescribed", medications=[other])  # about another medication
    observation(rem, adherence="as_prescribed", shared=False)  # private
    observation(rem, body="Talked about work")  # neither adherence nor response
    observation(rem, adherence="missed_doses", observed_on=D(2027, 1, 26))  # too early (day 2)
    sweep(Kind.CHECKIN_DUE)
    assert due(Kind.CHECKIN_DUE) == {("author", D(2027, 1, 31))}
    observation(rem, body="Linked, in words only", medications=[med])  # linked: counts
    sweep(Kind.CHECKIN_DUE)
    assert due(Kind.CHECKIN_DUE) == set()


def test_a_medication_stopped_before_its_checkin_is_not_checked_in_for_its_start(rem, clock):
    med = started(rem, clock, D(2027, 1, 24))
    clock.to(D(2027, 1, 28))
    stopped = stop(rem, med, D(2027, 1, 28))
    clock.to(D(2027, 1, 31))
    sweep(Kind.CHECKIN_DUE)
    assert due(Kind.CHECKIN_DUE) == set()
    # The stop has its own check-in, 7 days after it.
    clock.to(D(2027, 2, 4))
    sweep(Kind.CHECKIN_DUE)
    assert set(
        Reminder.objects.filter(kind=Kind.CHECKIN_DUE).values_list("subject_id", "due_on")
    ) == {(stopped.pk, D(2027, 2, 4))}


def test_a_later_dose_change_takes_over_the_checkins(rem, clock):
    med = started(rem, clock, D(2027, 1, 24))
    clock.to(D(2027, 1, 29))
    increase = change(rem, med, MedicationChange.Kind.INCREASE, D(2027, 1, 29))
    clock.to(D(2027, 1, 31))
    sweep(Kind.CHECKIN_DUE)
    assert due(Kind.CHECKIN_DUE) == set()
    clock.to(D(2027, 2, 5))
    sweep(Kind.CHECKIN_DUE)
    assert set(Reminder.objects.values_list("subject_id", "due_on")) == {
        (increase.pk, D(2027, 2, 5))
    }


def test_fills_and_detail_updates_ask_for_no_checkin(rem, clock):
    med = medication(rem)
    change(rem, med, MedicationChange.Kind.FILL, START)
    change(rem, med, MedicationChange.Kind.UPDATE, START)
    clock.to(START + dt.timedelta(days=7))
    sweep(Kind.CHECKIN_DUE)
    assert not Reminder.objects.exists()


# --- quiet case ------------------------------------------------------------------------------


def test_a_case_quiet_for_21_days_reminds_the_therapist(rem, clock):
    clock.to(D(2027, 2, 7))
    observation(rem, adherence="as_prescribed")
    clock.to(D(2027, 2, 20))
    observation(rem, shared=False, body="Private process note")  # does not count
    clock.to(D(2027, 2, 27))
    sweep(Kind.QUIET_CASE)
    assert due(Kind.QUIET_CASE) == set()
    clock.to(D(2027, 2, 28))  # 21 days after 7 February, at the month end
    sweep(Kind.QUIET_CASE)
    assert due(Kind.QUIET_CASE) == {("author", D(2027, 2, 28))}


def test_a_shared_observation_resolves_the_quiet_case_reminder(rem, clock):
    observation(rem, adherence="as_prescribed")
    clock.to(START + dt.timedelta(days=21))
    sweep(Kind.QUIET_CASE)
    assert names(due(Kind.QUIET_CASE)) == {"author"}
    logged = observation(rem, body="Check-in")
    assert reminders_resolve_for(logged) == 1


def test_a_quiet_case_without_an_active_release_is_not_reminded(rem, clock):
    from releases.services import release_revoke

    observation(rem, adherence="as_prescribed")
    clock.to(START + dt.timedelta(days=21))
    sweep(Kind.QUIET_CASE)
    assert names(due(Kind.QUIET_CASE)) == {"author"}
    release_revoke(release=rem.extra["release"], actor=rem.clinic_admin.user, reason="Revoked")
    sweep(Kind.QUIET_CASE)
    assert due(Kind.QUIET_CASE) == set()


def test_a_long_quiet_reminds_again_every_21_days(rem, clock):
    observation(rem, adherence="as_prescribed")
    clock.to(START + dt.timedelta(days=43))
    sweep(Kind.QUIET_CASE)
    assert due(Kind.QUIET_CASE) == {("author", START + dt.timedelta(days=42))}


# --- release expiring ---------------------------------------------------------------------------


def expiring(rem, expires_on):
    return make_release(
        admin=rem.clinic_admin.user,
        patient=rem.patient,
        discloser=rem.author,
        recipient=rem.colleague,
        scope=[Category.OBSERVATIONS],
        expires_on=expires_on,
    )


TEAM = {"author", "recipient", "colleague", "othercat", "admin"}


def test_a_release_reminds_30_and_7_days_before_it_expires(rem, clock):
    release = expiring(rem, D(2027, 3, 31))
    clock.to(D(2027, 2, 28))
    sweep(Kind.RELEASE_EXPIRING)
    assert due(Kind.RELEASE_EXPIRING) == set()
    clock.to(D(2027, 3, 1))
    sweep(Kind.RELEASE_EXPIRING)
    assert due(Kind.RELEASE_EXPIRING) == {(name, D(2027, 3, 1)) for name in TEAM}
    clock.to(D(2027, 3, 24))
    sweep(Kind.RELEASE_EXPIRING)
    assert due(Kind.RELEASE_EXPIRING) == {(name, D(2027, 3, 24)) for name in TEAM}
    assert set(Reminder.objects.values_list("subject_id", flat=True)) == {release.pk}


def test_activating_a_new_release_resolves_the_expiry_reminders(rem, clock):
    expiring(rem, D(2027, 2, 10))
    sweep(Kind.RELEASE_EXPIRING)
    assert names(due(Kind.RELEASE_EXPIRING)) == TEAM
    renewed = expiring(rem, D(2028, 2, 10))
    assert reminders_resolve_for(renewed) == len(TEAM)


def test_an_expired_release_is_no_longer_reminded(rem, clock):
    expiring(rem, D(2027, 2, 10))
    sweep(Kind.RELEASE_EXPIRING)
    clock.to(D(2027, 2, 11))
    sweep(Kind.RELEASE_EXPIRING)
    assert due(Kind.RELEASE_EXPIRING) == set()


# --- consult waiting -----------------------------------------------------------------------------


def test_working_days_skip_the_weekend():
    assert add_working_days(D(2027, 1, 29), 2) == D(2027, 2, 2)  # Friday -> Tuesday
    assert add_working_days(D(2027, 1, 30), 2) == D(2027, 2, 2)  # Saturday -> Tuesday
    assert add_working_days(D(2027, 1, 25), 2) == D(2027, 1, 27)  # Monday -> Wednesday


def test_a_question_open_two_working_days_reminds_the_prescriber(rem, clock):
    clock.to(D(2027, 1, 29), hour=16)  # a Friday afternoon
    asked = question(rem)
    clock.to(D(2027, 2, 1))  # Monday
    sweep(Kind.CONSULT_WAITING)
    assert due(Kind.CONSULT_WAITING) == set()
    clock.to(D(2027, 2, 2))  # Tuesday
    sweep(Kind.CONSULT_WAITING)
    # Not the asker; not the colleague, who may not read the question.
    assert due(Kind.CONSULT_WAITING) == {("recipient", D(2027, 2, 2))}

    Message.objects.filter(pk=asked.pk).update(state=Message.State.ANSWERED)
    assert reminders_resolve_for(asked) == 1


def test_sweeping_twice_creates_each_reminder_once(rem, clock):
    # One of each kind due today (the case has been quiet since it opened).
    med = medication(rem, schedule="II", last_fill_date=START, days_supply=5)
    change(rem, med, MedicationChange.Kind.START, START - dt.timedelta(days=7))
    refill_request(rem, medication(rem, name="Lateamine"), late=True)
    expiring(rem, START + dt.timedelta(days=20))
    clock.to(START - dt.timedelta(days=3))
    question(rem)
    clock.to(START)
    first = sweep()
    assert set(Reminder.objects.values_list("kind", flat=True)) == set(Kind.values)
    second = sweep()
    assert first["created"] == Reminder.objects.count() > len(Kind.values)
    assert second == {"created": 0, "resolved": 0, "pending": first["pending"]}
