"""The case thread: who may post, who reads what, unread markers per reader."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.categories import Category
from cases.models import Case
from messaging import selectors, services
from messaging.models import Message, MessageRead
from notifications.models import Notification
from releases import services as release_services
from tests.factories import CaseFactory, PatientFactory, observation, on_team
from tests.releasekit import make_release

pytestmark = pytest.mark.django_db


def post(world, persona, body="Synthetic message", **kwargs):
    return services.message_post(
        case=world.case, author=getattr(world, persona).user, body=body, **kwargs
    )


def thread_url(world):
    return reverse("messaging:thread", args=[world.case.pk])


# --- posting ---------------------------------------------------------------------------


def test_both_clinicians_of_a_mutual_release_post_and_read_each_other(talk):
    mine = post(talk, "author", "Synthetic from the therapist")
    theirs = post(talk, "recipient", "Synthetic from the prescriber")
    assert {m.pk for m in selectors.messages_of_thread(talk.recipient.user, talk.case)} == {
        mine.pk,
        theirs.pk,
    }
    assert {m.pk for m in selectors.messages_of_thread(talk.author.user, talk.case)} == {
        mine.pk,
        theirs.pk,
    }


def test_a_care_team_member_without_a_release_cannot_post(talk):
    with pytest.raises(ValidationError, match="No information release is active"):
        post(talk, "colleague")
    assert not Message.objects.exists()


def test_a_release_for_other_categories_does_not_let_anyone_post(talk):
    # other_category's release covers observations only; nobody's covers their messages.
    with pytest.raises(ValidationError):
        post(talk, "other_category")


def test_a_clinician_off_the_care_team_cannot_post(talk):
    with pytest.raises(PermissionDenied):
        post(talk, "other_clinic")


def test_a_one_way_release_lets_only_the_discloser_post(world):
    make_release(
        admin=world.clinic_admin.user,
        patient=world.patient,
        discloser=world.author,
        recipient=world.recipient,
        scope=[Category.MESSAGES],
    )
    message = post(world, "author")
    # The prescriber reads the therapist's message, but nothing carries theirs back.
    assert selectors.messages_of_thread(world.recipient.user, world.case) == [message]
    with pytest.raises(ValidationError, match="No information release is active"):
        post(world, "recipient")


def test_a_closed_case_is_read_only(talk):
    post(talk, "author")
    Case.objects.filter(pk=talk.case.pk).update(status=Case.Status.CLOSED)
    talk.case.refresh_from_db()
    with pytest.raises(ValidationError, match="closed"):
        post(talk, "author")


def test_a_message_cannot_be_empty(talk):
    with pytest.raises(ValidationError):
        post(talk, "author", "   ")


def test_the_thread_page_posts_and_shows_messages_newest_last(talk, as_user):
    client = as_user(talk.author.user)
    post(talk, "recipient", "Synthetic first")
    response = client.post(thread_url(talk), {"kind": "message", "body": "Synthetic second"})
    assert response.status_code == 302
    page = client.get(thread_url(talk)).content.decode()
    assert page.index("Synthetic first") < page.index("Synthetic second")


def test_the_thread_page_explains_why_a_member_cannot_write(talk, as_user):
    client = as_user(talk.colleague.user)
    page = client.get(thread_url(talk)).content.decode()
    assert "No information release is active" in page
    assert 'name="body"' not in page
    response = client.post(thread_url(talk), {"kind": "message", "body": "Synthetic"}, follow=True)
    assert response.redirect_chain[0][0] == thread_url(talk)
    assert 'class="error">No information release is active' in response.content.decode()
    assert not Message.objects.exists()


def test_the_thread_refuses_who_is_not_on_the_care_team(talk, as_user):
    for persona in ("other_clinic", "clinic_admin"):
        response = as_user(getattr(talk, persona).user).get(thread_url(talk))
        assert response.status_code == 404
        assert talk.patient.family_name not in response.content.decode()


def test_only_the_members_who_may_read_a_message_are_notified(talk):
    message = post(talk, "author", "Synthetic sensitive words")
    notified = set(Notification.objects.values_list("recipient", flat=True))
    assert notified == {talk.recipient.user.pk}
    notification = Notification.objects.get()
    assert notification.text == "New message in a case thread"
    assert notification.url.endswith(f"#message-{message.pk}")
    assert talk.patient.family_name not in notification.text


# --- pointers ---------------------------------------------------------------------------


def test_a_message_about_an_observation_links_it_for_readers_who_may_read_it(talk, as_user):
    shown = observation(talk.case, talk.author.user, body="Synthetic observation")
    post(talk, "author", "Synthetic see this", observation=shown)
    page = as_user(talk.recipient.user).get(thread_url(talk)).content.decode()
    assert shown.get_absolute_url() in page


def test_a_pointer_to_a_record_the_reader_may_not_read_stays_hidden(talk, as_user):
    private = observation(talk.case, talk.author.user, body="Synthetic private", shared=False)
    post(talk, "author", "Synthetic about my private note", observation=private)
    page = as_user(talk.recipient.user).get(thread_url(talk)).content.decode()
    assert private.get_absolute_url() not in page
    assert "About a record you cannot see." in page


def test_a_writer_cannot_point_at_a_record_they_may_not_read(talk):
    private = observation(talk.case, talk.author.user, body="Synthetic private", shared=False)
    with pytest.raises(ValidationError, match="may not read"):
        post(talk, "recipient", observation=private)


def test_a_pointer_must_be_about_the_same_patient(talk):
    other_case = CaseFactory(patient=PatientFactory(clinic=talk.clinic))
    on_team(other_case, talk.author)
    elsewhere = observation(other_case, talk.author.user)
    with pytest.raises(ValidationError):
        post(talk, "author", observation=elsewhere)


# --- unread markers -----------------------------------------------------------------------


def test_unread_counts_are_right_for_each_reader(talk, as_user):
    for n in range(3):
        post(talk, "author", f"Synthetic {n}")
    assert selectors.unread_count(talk.recipient.user) == 3
    assert selectors.unread_count(talk.author.user) == 0  # one's own messages are never unread
    assert selectors.unread_count(talk.colleague.user) == 0  # may read none of them
    assert selectors.unread_count(talk.other_category.user) == 0

    as_user(talk.recipient.user).get(thread_url(talk))
    assert selectors.unread_count(talk.recipient.user) == 0

    post(talk, "recipient", "Synthetic reply")
    assert selectors.unread_count(talk.author.user) == 1
    assert selectors.unread_count(talk.recipient.user) == 0
    assert selectors.unread_count(talk.author.user, case=talk.case) == 1


def test_the_inbox_shows_unread_counts_per_thread(talk, as_user):
    post(talk, "author", "Synthetic 1")
    post(talk, "author", "Synthetic 2", kind=Message.Kind.QUESTION)
    (summary,) = selectors.inbox_threads(talk.recipient.user)
    assert (summary.messages, summary.unread, summary.open_questions) == (2, 2, 1)
    (own,) = selectors.inbox_threads(talk.author.user)
    assert (own.messages, own.unread, own.open_questions) == (2, 0, 0)
    page = as_user(talk.recipient.user).get(reverse("messaging:inbox")).content.decode()
    assert "2 unread" in page
    assert "Synthetic 1" not in page  # the inbox shows counts, never message text


def test_the_author_sees_who_has_read_their_message(talk, as_user):
    post(talk, "author", "Synthetic read me")
    author = as_user(talk.author.user)
    assert "Read by" not in author.get(thread_url(talk)).content.decode()
    as_user(talk.recipient.user).get(thread_url(talk))
    assert MessageRead.objects.filter(reader=talk.recipient.user).count() == 1
    assert "Read by" in author.get(thread_url(talk)).content.decode()


def test_new_messages_are_marked_new_once(talk, as_user):
    post(talk, "author", "Synthetic news")
    client = as_user(talk.recipient.user)
    assert "new since you last looked" in client.get(thread_url(talk)).content.decode()
    assert "new since you last looked" not in client.get(thread_url(talk)).content.decode()


def test_a_long_thread_shows_its_latest_page_and_links_to_earlier(talk, as_user):
    first = post(talk, "author", "Synthetic oldest")
    for n in range(selectors.THREAD_PAGE):
        services._write(case=talk.case, author=talk.author.user, body=f"Synthetic {n}")
    client = as_user(talk.recipient.user)
    page = client.get(thread_url(talk)).content.decode()
    assert "Synthetic oldest" not in page
    assert "Show earlier messages" in page
    earlier = client.get(thread_url(talk), {"before": first.pk + 1}).content.decode()
    assert "Synthetic oldest" in earlier


# --- a revoked release --------------------------------------------------------------------


def test_a_clinician_on_the_care_team_before_a_release_was_revoked_reads_and_posts_nothing_more(
    talk, as_user
):
    from messaging.models import CaseConference
    from tests.access.matrix_messaging import build_conference
    from tests.access.matrix_referrals import build_referral

    before = post(talk, "author", "Synthetic before the revocation")
    theirs = post(talk, "recipient", "Synthetic the prescriber wrote")
    question = post(talk, "author", "Synthetic question", kind=Message.Kind.QUESTION)
    conference, _ = build_conference(talk, talk.author, True)
    referral, _ = build_referral(talk, talk.author, True)
    prescriber = as_user(talk.recipient.user)
    assert "Synthetic before the revocation" in prescriber.get(thread_url(talk)).content.decode()

    release_services.release_revoke(
        release=talk.extra["release"], actor=talk.clinic_admin.user, reason="Patient revoked"
    )

    # Still on the care team, so the thread opens; but only their own message shows.
    page = prescriber.get(thread_url(talk)).content.decode()
    assert "Synthetic before the revocation" not in page
    assert "Synthetic the prescriber wrote" in page
    assert [m.pk for m in selectors.messages_of_thread(talk.recipient.user, talk.case)] == [
        theirs.pk
    ]
    assert selectors.unread_count(talk.recipient.user) == 0
    for url in (
        reverse("messaging:question_detail", args=[question.pk]),
        reverse("messaging:conference_detail", args=[conference.pk]),
        reverse("referrals:detail", args=[referral.pk]),
    ):
        assert prescriber.get(url).status_code == 404
    with pytest.raises(ValidationError):
        post(talk, "recipient", "Synthetic after")
    with pytest.raises(PermissionDenied):
        services.question_answer(question=question, author=talk.recipient.user, body="Synthetic")
    with pytest.raises(PermissionDenied):
        services.conference_confirm(conference=conference, actor=talk.recipient.user)
    assert CaseConference.objects.get(pk=conference.pk).status == "requested"
    # The therapist keeps reading their own messages, and cannot post either: nobody
    # else may read them now.
    assert before in selectors.messages_of_thread(talk.author.user, talk.case)
    with pytest.raises(ValidationError):
        post(talk, "author", "Synthetic after")


# --- query counts -------------------------------------------------------------------------


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_thread_page_query_count_does_not_grow_with_the_thread(talk, as_user):
    pointed = observation(talk.case, talk.author.user)
    for n in range(3):
        post(talk, "author", f"Synthetic {n}", observation=pointed if n == 0 else None)
        post(talk, "recipient", f"Synthetic reply {n}")
    client = as_user(talk.recipient.user)
    client.get(thread_url(talk))  # first view: read markers written
    post(talk, "author", "Synthetic new")
    small = _count(client, thread_url(talk))
    for n in range(40):
        post(talk, "author", f"Synthetic more {n}", observation=pointed if n % 5 == 0 else None)
        post(talk, "recipient", f"Synthetic reply more {n}")
    client.get(thread_url(talk))
    post(talk, "author", "Synthetic new again")
    assert _count(client, thread_url(talk)) == small


def test_the_inbox_query_count_does_not_grow_with_cases_or_messages(talk, as_user):
    post(talk, "author", "Synthetic")
    client = as_user(talk.recipient.user)
    small = _count(client, reverse("messaging:inbox"))
    for _ in range(8):
        case = CaseFactory(patient=PatientFactory(clinic=talk.clinic))
        on_team(case, talk.author, talk.recipient)
        make_release(
            admin=talk.clinic_admin.user,
            patient=case.patient,
            discloser=talk.author,
            recipient=talk.recipient,
            scope=[Category.MESSAGES],
            mutual=True,
        )
        for n in range(3):
            services.message_post(case=case, author=talk.author.user, body=f"Synthetic {n}")
    assert len(selectors.inbox_threads(talk.recipient.user)) == 9
    assert _count(client, reverse("messaging:inbox")) == small


@pytest.mark.parametrize("before", ["9" * 400, "-3", "abc", str(2**63)])
def test_a_bad_page_parameter_shows_the_latest_page(talk, as_user, before):
    post(talk, "author", "Synthetic latest")
    response = as_user(talk.recipient.user).get(thread_url(talk), {"before": before})
    assert response.status_code == 200
    assert "Synthetic latest" in response.content.decode()


def test_read_only_pages_refuse_a_post_with_a_page_that_says_so(talk, as_user):
    response = as_user(talk.recipient.user).post(reverse("messaging:inbox"))
    assert response.status_code == 405
    assert "not allowed" in response.content.decode()
