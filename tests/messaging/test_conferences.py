"""Case conferences: either clinician asks, another confirms, the outcome is recorded."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from carecollab.forms import DATETIME_FORMAT
from messaging import selectors, services
from messaging.models import CaseConference
from notifications.models import Notification

pytestmark = pytest.mark.django_db

AGENDA = "Synthetic: are there issues in the therapeutic alliance?"


def soon(days=3):
    return (timezone.now() + dt.timedelta(days=days)).replace(second=0, microsecond=0)


def request(world, persona="author", **kwargs):
    kwargs.setdefault("agenda", AGENDA)
    kwargs.setdefault("proposed_at", soon())
    return services.conference_request(
        case=world.case, requested_by=getattr(world, persona).user, **kwargs
    )


@pytest.mark.parametrize("asker", ["author", "recipient"])
def test_either_clinician_asks_and_the_other_is_notified(talk, asker):
    conference = request(talk, asker)
    assert conference.status == CaseConference.Status.REQUESTED
    other = talk.recipient if asker == "author" else talk.author
    notification = Notification.objects.get(recipient=other.user)
    assert notification.text == "Case conference requested"
    assert notification.url == conference.get_absolute_url()


def test_the_other_clinician_confirms_the_time(talk):
    conference = request(talk)
    with pytest.raises(ValidationError, match="another member of the team confirms"):
        services.conference_confirm(conference=conference, actor=talk.author.user)
    conference = services.conference_confirm(conference=conference, actor=talk.recipient.user)
    assert conference.status == CaseConference.Status.SCHEDULED
    assert conference.scheduled_at == conference.proposed_at
    assert conference.confirmed_by == talk.recipient.user
    assert Notification.objects.filter(
        recipient=talk.author.user, text="Case conference scheduled"
    ).exists()


def test_another_time_can_be_proposed_and_then_confirmed_by_the_first(talk):
    conference = request(talk)
    later = soon(days=5)
    conference = services.conference_propose_time(
        conference=conference, actor=talk.recipient.user, proposed_at=later
    )
    assert (conference.status, conference.proposed_at, conference.proposed_by) == (
        CaseConference.Status.REQUESTED,
        later,
        talk.recipient.user,
    )
    conference = services.conference_confirm(conference=conference, actor=talk.author.user)
    assert conference.scheduled_at == later


def test_a_time_in_the_past_is_refused(talk):
    with pytest.raises(ValidationError, match="future"):
        request(talk, proposed_at=timezone.now() - dt.timedelta(hours=1))


def test_an_empty_agenda_is_refused(talk):
    with pytest.raises(ValidationError):
        request(talk, agenda="  ")


def test_the_outcome_is_recorded_after_the_conference_with_the_billing_checkbox(talk):
    conference = request(talk, billing_told=False)
    conference = services.conference_confirm(conference=conference, actor=talk.recipient.user)
    with pytest.raises(ValidationError, match="before its time"):
        services.conference_record_outcome(
            conference=conference,
            actor=talk.author.user,
            outcome_notes="Synthetic outcome",
            held_on=timezone.localdate(),
            billing_told=True,
        )
    with time_machine.travel(conference.scheduled_at + dt.timedelta(hours=1)):
        conference = services.conference_record_outcome(
            conference=conference,
            actor=talk.author.user,
            outcome_notes="Synthetic: agreed to review the dose at the next visit.",
            held_on=timezone.localdate(),
            billing_told=True,
        )
    assert conference.status == CaseConference.Status.HELD
    assert conference.billing_told is True
    outcome = conference.outcomes.get()
    assert outcome.author == talk.author.user
    assert outcome.notes == "Synthetic: agreed to review the dose at the next visit."


def test_an_outcome_needs_a_scheduled_conference_and_notes(talk):
    conference = request(talk)
    with pytest.raises(ValidationError, match="scheduled"):
        services.conference_record_outcome(
            conference=conference,
            actor=talk.recipient.user,
            outcome_notes="Synthetic",
            held_on=timezone.localdate(),
            billing_told=False,
        )
    conference = services.conference_confirm(conference=conference, actor=talk.recipient.user)
    later = time_machine.travel(conference.scheduled_at + dt.timedelta(hours=1))
    with later, pytest.raises(ValidationError):
        services.conference_record_outcome(
            conference=conference,
            actor=talk.recipient.user,
            outcome_notes=" ",
            held_on=timezone.localdate(),
            billing_told=False,
        )


def test_a_conference_is_cancelled_once(talk):
    conference = request(talk)
    conference = services.conference_cancel(conference=conference, actor=talk.recipient.user)
    assert conference.status == CaseConference.Status.CANCELLED
    with pytest.raises(ValidationError):
        services.conference_cancel(conference=conference, actor=talk.author.user)
    with pytest.raises(ValidationError):
        services.conference_confirm(conference=conference, actor=talk.recipient.user)


def test_a_member_without_a_release_cannot_ask_or_act(talk):
    with pytest.raises(ValidationError, match="No information release is active"):
        request(talk, "colleague")
    conference = request(talk)
    with pytest.raises(PermissionDenied):
        services.conference_confirm(conference=conference, actor=talk.colleague.user)


def test_the_pages_request_confirm_and_show_a_conference(talk, as_user):
    therapist, prescriber = as_user(talk.author.user), as_user(talk.recipient.user)
    when = soon()
    response = therapist.post(
        reverse("messaging:conference_request", args=[talk.case.pk]),
        {"agenda": AGENDA, "proposed_at": timezone.localtime(when).strftime(DATETIME_FORMAT)},
    )
    conference = CaseConference.objects.get()
    assert response.status_code == 302
    assert response["Location"] == conference.get_absolute_url()
    page = prescriber.get(conference.get_absolute_url()).content.decode()
    assert AGENDA in page
    assert "has not been told yet that such sessions may be billed" in page
    prescriber.post(reverse("messaging:conference_confirm", args=[conference.pk]))
    conference.refresh_from_db()
    assert conference.status == CaseConference.Status.SCHEDULED
    listing = therapist.get(reverse("messaging:conference_list")).content.decode()
    assert AGENDA in listing
    assert "Scheduled" in listing


def test_the_request_page_explains_why_a_member_cannot_ask(talk, as_user):
    page = as_user(talk.colleague.user).get(
        reverse("messaging:conference_request", args=[talk.case.pk])
    )
    assert page.status_code == 200
    assert "No information release is active" in page.content.decode()
    assert 'name="agenda"' not in page.content.decode()


def test_a_past_proposed_time_is_refused_on_the_page(talk, as_user):
    past = timezone.localtime(timezone.now() - dt.timedelta(days=1)).strftime(DATETIME_FORMAT)
    response = as_user(talk.author.user).post(
        reverse("messaging:conference_request", args=[talk.case.pk]),
        {"agenda": AGENDA, "proposed_at": past},
    )
    assert response.status_code == 200
    assert "Propose a time in the future." in response.content.decode()
    assert not CaseConference.objects.exists()


def test_conferences_show_on_the_patient_timeline(talk):
    conference = request(talk)
    entries = selectors.consult_timeline(talk.recipient.user, talk.patient)
    assert [e.obj for e in entries] == [conference]
    services.conference_cancel(conference=conference, actor=talk.author.user)
    assert selectors.consult_timeline(talk.recipient.user, talk.patient) == []
