"""Giving a scale in the browser's form, reading it, and the trend pages."""

import datetime as dt

import pytest
from django.utils import timezone

from assessments.models import Assessment
from releases.models import Disclosure

from .kit import another_patient, change_dose, give, start_medication

pytestmark = pytest.mark.django_db


def form_url(world, scale="PHQ-9"):
    return f"/assessments/patients/{world.patient.pk}/give/{scale}/"


def answers(values, **extra):
    data = {"given_on": timezone.localdate().isoformat(), "shared": "on", **extra}
    for number, value in enumerate(values, 1):
        if value is not None:
            data[f"item_{number}"] = str(value)
    return data


def test_the_form_asks_every_item_with_the_four_answers(shared_world, client):
    client.force_login(shared_world.author.user)
    page = client.get(form_url(shared_world))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Over the last 2 weeks, how often have you been bothered" in body
    assert "9. Thoughts that you would be better off dead" in body
    for label in ("Not at all", "Several days", "More than half the days", "Nearly every day"):
        assert body.count(f"<span>{label}</span>") == 9
    assert body.count('type="radio"') == 36
    assert "js/assessments.js" in body  # the running total (enhancement only)
    assert 'id="scale-data"' in body


def test_a_complete_form_is_scored_on_the_server(shared_world, client):
    world = shared_world
    client.force_login(world.author.user)
    # A total posted by a tampered page is ignored: the server sums the answers.
    response = client.post(form_url(world), answers([3, 3, 2, 2, 1, 1, 0, 0, 0], total="1"))
    assessment = Assessment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/assessments/{assessment.pk}/"
    assert (assessment.total, assessment.band, assessment.safety_flag) == (12, "Moderate", False)
    assert assessment.administered_by == world.author.user
    detail = client.get(response["Location"]).content.decode()
    assert "Total <strong>12</strong> of 27" in detail


def test_an_incomplete_form_is_refused_naming_the_unanswered_items(shared_world, client):
    client.force_login(shared_world.author.user)
    response = client.post(form_url(shared_world), answers([1, 1, None, 1, 1, 1, 1, 1, None]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "items 3 and 9 are unanswered" in body
    assert "An unanswered item is not a zero" in body
    # At each unanswered item, and in the error summary, which links to it.
    assert body.count("Not answered.") == 2 * 2
    assert 'href="#id_item_3_0"' in body and 'href="#id_item_9_0"' in body
    assert not Assessment.objects.exists()
    # What was answered stays checked, so nothing is typed twice.
    assert body.count("checked") >= 7


def test_an_empty_form_names_every_item(shared_world, client):
    client.force_login(shared_world.author.user)
    response = client.post(form_url(shared_world, "GAD-7"), answers([]))
    assert "items 1, 2, 3, 4, 5, 6 and 7 are unanswered" in response.content.decode()


def test_a_value_off_the_scale_is_refused(shared_world, client):
    client.force_login(shared_world.author.user)
    response = client.post(form_url(shared_world), answers([1] * 8 + [7]))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Assessment.objects.exists()


def test_a_future_date_is_refused(shared_world, client):
    client.force_login(shared_world.author.user)
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = client.post(form_url(shared_world), answers([0] * 9, given_on=tomorrow))
    assert "cannot be dated in the future" in response.content.decode()
    assert not Assessment.objects.exists()


def test_unknown_scale_and_wrong_roles_get_404(shared_world, client):
    client.force_login(shared_world.author.user)
    assert client.get(form_url(shared_world, "BDI-II")).status_code == 404
    client.force_login(shared_world.clinic_admin.user)
    assert client.get(form_url(shared_world)).status_code == 404
    client.force_login(shared_world.other_clinic.user)
    assert client.get(form_url(shared_world)).status_code == 404


def test_the_prescriber_may_give_a_scale_too(shared_world, client):
    client.force_login(shared_world.recipient.user)
    response = client.post(form_url(shared_world, "GAD-7"), answers([1] * 7))
    assert response.status_code == 302
    assert Assessment.objects.get().administered_by == shared_world.recipient.user


def test_the_patient_page_shows_the_chart_and_its_table(shared_world, client):
    world = shared_world
    today = timezone.localdate()
    medication = start_medication(world, today - dt.timedelta(days=50))
    change_dose(world, medication, today - dt.timedelta(days=20), "20 mg")
    scores = [give(world, t, today - dt.timedelta(days=d)) for d, t in ((50, 17), (20, 15), (2, 7))]
    client.force_login(world.recipient.user)
    body = client.get(f"/cases/patients/{world.patient.pk}/").content.decode()
    assert "Scores and medication changes" in body
    assert body.count('<g class="point"') == 3
    assert body.count('<g class="marker"') == 2
    assert "Dose increased: Testamine, 10 mg" in body  # in the table beside the chart
    assert body.count('<tr class="score"') == 3
    for score in scores:
        assert f'<tr class="score" data-assessment="{score.pk}"' in body
    assert f"/assessments/patients/{world.patient.pk}/give/PHQ-9/" in body
    assert "No GAD-7 you can see yet." in body


def test_the_printable_trend_records_every_read(shared_world, client):
    world = shared_world
    score = give(world, 12, timezone.localdate())
    client.force_login(world.recipient.user)
    page = client.get(f"/assessments/patients/{world.patient.pk}/trend/")
    assert page.status_code == 200
    assert f'data-assessment="{score.pk}"' in page.content.decode()
    assert Disclosure.objects.filter(recipient=world.recipient.user, object_id=score.pk).exists()


def test_the_trend_page_costs_the_same_queries_for_2_or_20_scores(
    shared_world, client, django_assert_max_num_queries
):
    world = shared_world
    today = timezone.localdate()
    medication = start_medication(world, today - dt.timedelta(days=60))
    give(world, 15, today - dt.timedelta(days=60))
    give(world, 12, today - dt.timedelta(days=59), scale="GAD-7")
    client.force_login(world.recipient.user)
    url = f"/assessments/patients/{world.patient.pk}/trend/"
    client.get(url)  # warm the session and the caches
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    for day in range(1, 19):
        give(world, 10, today - dt.timedelta(days=day))
    change_dose(world, medication, today - dt.timedelta(days=30), "20 mg")
    change_dose(world, medication, today - dt.timedelta(days=10), "30 mg")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_the_patient_page_costs_the_same_queries_as_scores_grow(
    shared_world, client, django_assert_max_num_queries
):
    world = shared_world
    today = timezone.localdate()
    give(world, 15, today - dt.timedelta(days=40))
    client.force_login(world.recipient.user)
    url = f"/cases/patients/{world.patient.pk}/"
    client.get(url)
    with django_assert_max_num_queries(60) as few:
        client.get(url)
    for day in range(1, 15):
        give(world, 10, today - dt.timedelta(days=day), scale="GAD-7" if day % 2 else "PHQ-9")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_the_not_improving_page_costs_the_same_queries_for_more_patients(
    shared_world, client, django_assert_max_num_queries
):
    world = shared_world
    today = timezone.localdate()

    def non_responder(case):
        start_medication(world, today - dt.timedelta(days=60), patient=case.patient)
        give(world, 16, today - dt.timedelta(days=60), case=case)
        give(world, 15, today - dt.timedelta(days=1), case=case)

    non_responder(world.case)
    client.force_login(world.recipient.user)
    client.get("/assessments/not-improving/")
    with django_assert_max_num_queries(30) as few:
        assert (
            client.get("/assessments/not-improving/").content.decode().count("data-patient=") == 1
        )
    for _ in range(4):
        non_responder(another_patient(world))
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/assessments/not-improving/")
    assert page.content.decode().count("data-patient=") == 5


def test_an_empty_submission_is_refused_with_the_messages(shared_world, client):
    client.force_login(shared_world.author.user)
    response = client.post(form_url(shared_world), {})
    body = response.content.decode()
    assert response.status_code == 200
    assert "items 1, 2, 3, 4, 5, 6, 7, 8 and 9 are unanswered" in body
    assert "This field is required." in body  # the date
    assert not Assessment.objects.exists()
