"""Not improving: no 50% drop from baseline 8-12 weeks after the latest medication change.

The clock is frozen (time_machine) so every window edge is an exact day.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings

from assessments import panels, selectors
from releases import services as release_services
from releases.models import Disclosure

from .kit import another_patient, change_dose, give, start_medication

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)


def days_ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


@pytest.fixture(autouse=True)
def _noon_on_today():
    """Every test, its fixtures first (``shared_world``), runs at noon on TODAY."""
    noon = dt.datetime(2026, 6, 15, 12, tzinfo=ZoneInfo(settings.TIME_ZONE))
    with time_machine.travel(noon, tick=False):
        yield


def listed(world, user=None) -> dict[int, selectors.NotImproving]:
    rows = selectors.patients_not_improving(user or world.recipient.user, today=TODAY)
    return {row.patient.pk: row for row in rows}


def started(world, days: int, case=None, **kwargs):
    patient = case.patient if case else world.patient
    return start_medication(world, days_ago(days), patient=patient, **kwargs)


def test_a_non_responder_is_listed_with_weeks_and_scores(shared_world):
    world = shared_world
    started(world, 70)
    give(world, 16, days_ago(70))  # baseline, on the day of the start
    give(world, 15, days_ago(40))
    give(world, 14, days_ago(7))
    row = listed(world)[world.patient.pk]
    assert row.weeks == 10
    assert row.changed_on == days_ago(70)
    assert [change.kind for change in row.changes] == ["start"]
    (outcome,) = row.outcomes
    assert (outcome.scale.code, outcome.baseline.total, outcome.follow_up.total) == (
        "PHQ-9",
        16,
        14,
    )
    assert outcome.drop_percent == 12


@pytest.mark.parametrize(("latest", "is_listed"), [(9, False), (10, True), (4, False)])
def test_a_drop_of_half_the_baseline_is_a_response(shared_world, latest, is_listed):
    world = shared_world
    started(world, 60)
    give(world, 18, days_ago(61))
    give(world, latest, days_ago(3))
    assert (world.patient.pk in listed(world)) is is_listed


def test_responders_are_excluded_and_non_responders_listed_side_by_side(shared_world):
    world = shared_world
    responder = another_patient(world)
    started(world, 63)
    started(world, 63, case=responder)
    for case, (baseline, latest) in ((world.case, (17, 15)), (responder, (17, 8))):
        give(world, baseline, days_ago(63), case=case)
        give(world, latest, days_ago(5), case=case)
    rows = listed(world)
    assert world.patient.pk in rows
    assert responder.patient.pk not in rows


@pytest.mark.parametrize(
    ("days", "is_listed", "weeks"), [(55, False, 7), (56, True, 8), (84, True, 12), (85, False, 12)]
)
def test_the_window_is_day_56_to_day_84_after_the_change(shared_world, days, is_listed, weeks):
    world = shared_world
    started(world, days)
    give(world, 15, days_ago(days))
    give(world, 15, days_ago(1))
    rows = listed(world)
    assert (world.patient.pk in rows) is is_listed
    if is_listed:
        assert rows[world.patient.pk].weeks == weeks


@pytest.mark.parametrize(("before", "is_listed"), [(0, True), (28, True), (29, False)])
def test_the_baseline_is_the_last_score_up_to_28_days_before_the_change(
    shared_world, before, is_listed
):
    world = shared_world
    started(world, 70)
    give(world, 15, days_ago(70 + before))
    give(world, 15, days_ago(2))
    assert (world.patient.pk in listed(world)) is is_listed


def test_the_baseline_is_the_last_score_on_or_before_the_change(shared_world):
    world = shared_world
    started(world, 70)
    give(world, 10, days_ago(84))  # older: not the baseline
    give(world, 20, days_ago(70))  # the baseline (same day as the change)
    give(world, 19, days_ago(69))  # after the change: a follow-up, not the baseline
    give(world, 9, days_ago(3))
    # 9 is a response against 20, not against 10 (or 19 if that were the baseline).
    assert world.patient.pk not in listed(world)


def test_the_latest_score_after_the_change_is_the_one_judged(shared_world):
    world = shared_world
    started(world, 70)
    give(world, 16, days_ago(70))
    give(world, 6, days_ago(30))
    give(world, 15, days_ago(2))  # worse again
    assert world.patient.pk in listed(world)


def test_no_score_after_the_change_is_not_judged(shared_world):
    world = shared_world
    started(world, 70)
    give(world, 16, days_ago(70))
    assert world.patient.pk not in listed(world)


def test_a_later_change_starts_a_new_clock(shared_world):
    world = shared_world
    medication = started(world, 70)
    give(world, 16, days_ago(70))
    change_dose(world, medication, days_ago(20), "20 mg")
    give(world, 16, days_ago(2))
    assert world.patient.pk not in listed(world)


def test_a_dose_increase_is_a_change_like_a_start(shared_world):
    world = shared_world
    medication = started(world, 150)
    change_dose(world, medication, days_ago(60), "20 mg")
    give(world, 19, days_ago(61))
    give(world, 18, days_ago(4))
    row = listed(world)[world.patient.pk]
    assert [change.kind for change in row.changes] == ["increase"]
    assert row.weeks == 8


def test_a_baseline_already_in_remission_is_not_judged(shared_world):
    world = shared_world
    started(world, 70)
    give(world, 4, days_ago(70))
    give(world, 4, days_ago(2))
    assert world.patient.pk not in listed(world)


def test_gad7_alone_can_lag(shared_world):
    world = shared_world
    started(world, 70)
    give(world, 16, days_ago(70))
    give(world, 6, days_ago(2))
    give(world, 12, days_ago(70), scale="GAD-7")
    give(world, 11, days_ago(2), scale="GAD-7")
    (outcome,) = listed(world)[world.patient.pk].outcomes
    assert outcome.scale.code == "GAD-7"


def test_what_the_prescriber_may_not_read_is_not_judged(shared_world):
    world = shared_world
    started(world, 70)
    give(world, 16, days_ago(70))
    give(world, 15, days_ago(2))
    # The colleague is on the care team without a release: neither scores nor changes.
    assert listed(world, world.colleague.user) == {}
    # Revoking the release hides the therapist's scores from the prescriber at once.
    release_services.release_revoke(
        release=world.extra["release"], actor=world.clinic_admin.user, reason="Revoked"
    )
    assert listed(world) == {}


def test_the_page_lists_for_prescribers_and_records_the_reads(shared_world, client):
    world = shared_world
    started(world, 70)
    give(world, 16, days_ago(70))
    follow_up = give(world, 15, days_ago(2))
    client.force_login(world.recipient.user)
    page = client.get("/assessments/not-improving/")
    body = page.content.decode()
    assert page.status_code == 200
    assert world.patient.family_name in body
    assert f'data-assessment="{follow_up.pk}"' in body
    assert "16 (2026-04-06) → <strong>15</strong>" in body
    assert Disclosure.objects.filter(
        recipient=world.recipient.user,
        object_id=follow_up.pk,
        object_model="assessments.Assessment",
    ).exists()
    client.force_login(world.author.user)
    assert client.get("/assessments/not-improving/").status_code == 404


def test_the_review_panel_is_the_prescribers(shared_world, rf):
    world = shared_world
    started(world, 70)
    give(world, 16, days_ago(70))
    give(world, 15, days_ago(2))
    request = rf.get("/")
    request.user = world.recipient.user
    panel = panels.not_improving_panel(request)
    assert panel.template == "assessments/_panel_not_improving.html"
    assert [row.patient for row in panel.context["rows"]] == [world.patient]
    request.user = world.author.user
    assert panels.not_improving_panel(request) is None


def test_the_list_costs_the_same_queries_for_one_patient_or_five(
    shared_world, django_assert_max_num_queries
):
    world = shared_world
    started(world, 70)
    give(world, 16, days_ago(70))
    give(world, 15, days_ago(2))
    # Two for the data, two for the gate's reading of the user's releases and care teams.
    with django_assert_max_num_queries(4) as one:
        assert len(selectors.patients_not_improving(world.recipient.user, today=TODAY)) == 1
    for _ in range(4):
        case = another_patient(world)
        started(world, 70, case=case)
        give(world, 16, days_ago(70), case=case)
        give(world, 15, days_ago(2), case=case)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(selectors.patients_not_improving(world.recipient.user, today=TODAY)) == 5


def test_the_prescribers_home_names_them_without_anyone_looking(shared_world, client):
    world = shared_world
    client.force_login(world.recipient.user)
    assert "Not improving: consider a change" not in client.get("/").content.decode()
    started(world, 70)
    give(world, 16, days_ago(70))
    give(world, 15, days_ago(2))
    home = client.get("/").content.decode()
    assert "Not improving: consider a change" in home
    assert f'<li data-patient="{world.patient.pk}">' in home
    assert "10 weeks since 2026-04-06" in home
    client.force_login(world.author.user)
    assert "Not improving: consider a change" not in client.get("/").content.decode()
