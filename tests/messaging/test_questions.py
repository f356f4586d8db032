"""Consult questions: the queue, answering, and the patient timeline."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from messaging import selectors, services
from messaging.models import Message
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def ask(world, persona="author", body="Synthetic question?"):
    return services.message_post(
        case=world.case,
        author=getattr(world, persona).user,
        body=body,
        kind=Message.Kind.QUESTION,
    )


def answer(world, question, persona="recipient", body="Synthetic answer."):
    return services.question_answer(
        question=question, author=getattr(world, persona).user, body=body
    )


def test_a_question_is_open_and_waits_in_the_other_clinicians_queue_oldest_first(talk):
    start = timezone.now()
    with time_machine.travel(start - dt.timedelta(days=2), tick=False):
        older = ask(talk, body="Synthetic older?")
    newer = ask(talk, body="Synthetic newer?")
    assert older.state == Message.State.OPEN
    assert list(selectors.questions_waiting_for(talk.recipient.user)) == [older, newer]
    # Not in the asker's own queue, and not for a member who may not read it.
    assert not selectors.questions_waiting_for(talk.author.user).exists()
    assert not selectors.questions_waiting_for(talk.colleague.user).exists()
    assert list(selectors.questions_asked_by(talk.author.user)) == [older, newer]


def test_a_question_notifies_the_readers_without_phi(talk):
    question = ask(talk, body="Synthetic about the dose?")
    notification = Notification.objects.get(recipient=talk.recipient.user)
    assert notification.kind == Notification.Kind.QUESTION
    assert notification.text == "New consult question in a case thread"
    assert notification.url == reverse("messaging:question_detail", args=[question.pk])


def test_the_answer_closes_the_question_and_joins_the_thread(talk):
    question = ask(talk)
    reply = answer(talk, question)
    question.refresh_from_db()
    assert question.state == Message.State.ANSWERED
    assert question.answer == reply
    assert question.answered_at == reply.created_at
    assert reply.kind == Message.Kind.MESSAGE
    assert reply in selectors.messages_of_thread(talk.author.user, talk.case)
    assert not selectors.questions_waiting_for(talk.recipient.user).exists()
    told = Notification.objects.get(recipient=talk.author.user, kind=Notification.Kind.ANSWER)
    assert told.text == "Your consult question was answered"


def test_a_question_is_answered_once(talk):
    question = ask(talk)
    answer(talk, question)
    with pytest.raises(ValidationError, match="answered already"):
        answer(talk, question, body="Synthetic second answer")


def test_the_asker_does_not_answer_their_own_question(talk):
    question = ask(talk)
    with pytest.raises(ValidationError, match="You asked this question"):
        answer(talk, question, persona="author")


def test_a_member_who_may_not_read_the_question_cannot_answer_it(talk):
    question = ask(talk)
    with pytest.raises(PermissionDenied):
        answer(talk, question, persona="colleague")
    question.refresh_from_db()
    assert question.is_open


def test_a_plain_message_is_not_answered(talk):
    message = services.message_post(case=talk.case, author=talk.author.user, body="Synthetic")
    with pytest.raises(ValidationError):
        answer(talk, message)


def test_answering_through_the_page_closes_the_question(talk, as_user):
    question = ask(talk)
    client = as_user(talk.recipient.user)
    detail = reverse("messaging:question_detail", args=[question.pk])
    assert "Send the answer" in client.get(detail).content.decode()
    response = client.post(
        reverse("messaging:question_answer", args=[question.pk]), {"body": "Synthetic yes."}
    )
    assert response.status_code == 302
    page = as_user(talk.author.user).get(detail).content.decode()
    assert "Synthetic yes." in page
    queue = as_user(talk.author.user).get(reverse("messaging:question_queue")).content.decode()
    assert "Answered" in queue


def test_an_empty_answer_is_refused_on_the_page(talk, as_user):
    question = ask(talk)
    response = as_user(talk.recipient.user).post(
        reverse("messaging:question_answer", args=[question.pk]), {"body": "  "}
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    question.refresh_from_db()
    assert question.is_open


def test_the_asker_sees_no_answer_form(talk, as_user):
    question = ask(talk)
    page = as_user(talk.author.user).get(reverse("messaging:question_detail", args=[question.pk]))
    assert "You asked this question" in page.content.decode()
    assert "Send the answer" not in page.content.decode()


def test_an_answered_question_shows_on_the_patient_timeline(talk, as_user):
    open_question = ask(talk, body="Synthetic still open?")
    answered = ask(talk, body="Synthetic answered?")
    answer(talk, answered, body="Synthetic the answer.")
    entries = selectors.consult_timeline(talk.recipient.user, talk.patient)
    assert [e.obj for e in entries] == [answered]
    assert entries[0].extra["answer"].body == "Synthetic the answer."
    page = (
        as_user(talk.author.user)
        .get(reverse("cases:patient_detail", args=[talk.patient.pk]))
        .content.decode()
    )
    assert "Synthetic answered?" in page
    assert "Synthetic the answer." in page
    assert open_question.body not in page
    # A member who may read neither sees nothing of it.
    assert selectors.consult_timeline(talk.colleague.user, talk.patient) == []


def test_the_queue_query_count_does_not_grow_with_the_queue(talk, as_user):
    for n in range(2):
        ask(talk, body=f"Synthetic {n}?")
        ask(talk, persona="recipient", body=f"Synthetic mine {n}?")
    client = as_user(talk.recipient.user)
    url = reverse("messaging:question_queue")
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for n in range(25):
        ask(talk, body=f"Synthetic more {n}?")
        mine = ask(talk, persona="recipient", body=f"Synthetic mine more {n}?")
        if n % 2:
            answer(talk, mine, persona="author")
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert response.content.decode().count("Synthetic more") == 25
    assert len(large) == len(small)
