"""Writes to messaging: case threads, consult questions, case conferences.

Who may write in a thread is the posting rule documented in ``messaging.selectors``:
on the case's care team, the case open, and a release active now that lets at least
one other member read what the writer writes. Notification texts never hold PHI.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from notifications.models import Notification
from notifications.services import notify
from releases import gate

from . import selectors
from .models import CaseConference, ConferenceOutcome, Message, MessageRead

Kind = Notification.Kind


# --- the thread ------------------------------------------------------------------------


def _check_writer(case: Case, writer) -> list:
    """Apply the posting rule; return the members who will read what ``writer`` writes."""
    if not selectors.is_on_care_team(case, writer):
        raise PermissionDenied("Only the case's care team writes in its thread.")
    reason = selectors.why_cannot_write(case, writer)
    if reason:
        raise ValidationError(reason)
    return selectors.members_reached(case, writer)


def _thread_url(case: Case, message: Message | None = None) -> str:
    url = reverse("messaging:thread", args=[case.pk])
    return f"{url}#message-{message.pk}" if message else url


def _write(
    *,
    case: Case,
    author,
    body: str,
    kind: str = Message.Kind.MESSAGE,
    medication=None,
    observation=None,
) -> Message:
    """Insert a message and grant it under the releases active now (no rule check)."""
    message = Message(
        case=case,
        author=author,
        kind=kind,
        body=body.strip(),
        state=Message.State.OPEN if kind == Message.Kind.QUESTION else "",
        medication=medication,
        observation=observation,
    )
    message.full_clean()
    message.save()
    gate.grants_for_new_object(message)
    return message


def _notify_readers(message: Message, members, *, kind: str, text: str, url: str) -> None:
    for member in members:
        user = member.clinician.user
        if gate.can_read(user, message):
            notify(recipient=user, kind=kind, text=text, url=url, key=f"message:{message.pk}")


@transaction.atomic
def message_post(
    *,
    case: Case,
    author,
    body: str,
    kind: str = Message.Kind.MESSAGE,
    medication=None,
    observation=None,
) -> Message:
    """Post a message or ask a consult question in a case's thread."""
    members = _check_writer(case, author)
    if kind not in Message.Kind.values:
        raise ValidationError({"kind": "Choose a message or a consult question."})
    # A writer points only at what they may read themselves.
    for record in (medication, observation):
        if record is not None and not gate.can_read(author, record):
            raise ValidationError("You cannot point at a record you may not read.")
    message = _write(
        case=case,
        author=author,
        body=body,
        kind=kind,
        medication=medication,
        observation=observation,
    )
    if message.is_question:
        _notify_readers(
            message,
            members,
            kind=Kind.QUESTION,
            text="New consult question in a case thread",
            url=reverse("messaging:question_detail", args=[message.pk]),
        )
    else:
        _notify_readers(
            message,
            members,
            kind=Kind.MESSAGE,
            text="New message in a case thread",
            url=_thread_url(case, message),
        )
    return message


@transaction.atomic
def question_answer(*, question: Message, author, body: str) -> Message:
    """Answer an open consult question: the answer joins the thread and closes it."""
    question = (
        Message.objects.select_for_update().select_related("case__patient").get(pk=question.pk)
    )
    if not question.is_question:
        raise ValidationError("Only a consult question is answered.")
    if question.state == Message.State.ANSWERED:
        raise ValidationError("This question has been answered already.")
    if question.author_id == author.pk:
        raise ValidationError("You asked this question: the care team answers it.")
    if not gate.can_read(author, question):
        raise PermissionDenied("You may not read this question.")
    members = _check_writer(question.case, author)
    answer = _write(case=question.case, author=author, body=body)
    question.state = Message.State.ANSWERED
    question.answer = answer
    question.answered_at = answer.created_at
    question.full_clean()
    question.save(update_fields=["state", "answer", "answered_at"])
    asker = question.author
    if gate.can_read(asker, answer):
        notify(
            recipient=asker,
            kind=Kind.ANSWER,
            text="Your consult question was answered",
            url=reverse("messaging:question_detail", args=[question.pk]),
            key=f"answer:{question.pk}",
        )
    others = [m for m in members if m.clinician.user_id != asker.pk]
    _notify_readers(
        answer,
        others,
        kind=Kind.MESSAGE,
        text="New message in a case thread",
        url=_thread_url(question.case, answer),
    )
    return answer


@transaction.atomic
def messages_mark_read(*, reader, messages) -> int:
    """Set the reader's read marker on these messages (theirs are skipped); idempotent."""
    now = timezone.now()
    markers = [
        MessageRead(message_id=message.pk, reader=reader, read_at=now)
        for message in messages
        if message.author_id != reader.pk
    ]
    # Read markers are not audited records: one INSERT, duplicates ignored.
    MessageRead.objects.bulk_create(markers, ignore_conflicts=True)
    return len(markers)


# --- case conferences ------------------------------------------------------------------


def _check_time(proposed_at: dt.datetime) -> None:
    if proposed_at is None:
        raise ValidationError({"proposed_at": "Propose a time."})
    if proposed_at <= timezone.now():
        raise ValidationError({"proposed_at": "Propose a time in the future."})
    if proposed_at > timezone.now() + dt.timedelta(days=366):
        raise ValidationError({"proposed_at": "Propose a time within the next year."})


def _conference_for_update(conference: CaseConference, actor) -> CaseConference:
    conference = (
        CaseConference.objects.select_for_update()
        .select_related("case__patient")
        .get(pk=conference.pk)
    )
    if not gate.can_read(actor, conference):
        raise PermissionDenied("You may not read this case conference.")
    return conference


def _notify_conference(conference: CaseConference, members, *, text: str, key: str) -> None:
    url = reverse("messaging:conference_detail", args=[conference.pk])
    for member in members:
        user = member.clinician.user
        if gate.can_read(user, conference):
            notify(recipient=user, kind=Kind.CONFERENCE, text=text, url=url, key=key)


def _conference_write(
    *, case: Case, requested_by, agenda: str, proposed_at: dt.datetime, billing_told: bool
) -> CaseConference:
    """Insert a conference request and grant it under the releases active now."""
    conference = CaseConference(
        case=case,
        requested_by=requested_by,
        proposed_by=requested_by,
        agenda=agenda.strip(),
        proposed_at=proposed_at,
        billing_told=billing_told,
    )
    conference.full_clean()
    conference.save()
    gate.grants_for_new_object(conference)
    return conference


@transaction.atomic
def conference_request(
    *,
    case: Case,
    requested_by,
    agenda: str,
    proposed_at: dt.datetime,
    billing_told: bool = False,
) -> CaseConference:
    """Ask the care team for a joint review of the case at a proposed time."""
    members = _check_writer(case, requested_by)
    _check_time(proposed_at)
    conference = _conference_write(
        case=case,
        requested_by=requested_by,
        agenda=agenda,
        proposed_at=proposed_at,
        billing_told=billing_told,
    )
    _notify_conference(
        conference,
        members,
        text="Case conference requested",
        key=f"conference:{conference.pk}:requested",
    )
    return conference


@transaction.atomic
def conference_confirm(*, conference: CaseConference, actor) -> CaseConference:
    """Agree to the proposed time: the conference is scheduled."""
    conference = _conference_for_update(conference, actor)
    if conference.status != CaseConference.Status.REQUESTED:
        raise ValidationError(
            f"This conference is {conference.get_status_display().lower()}, not waiting for "
            "a time to be agreed."
        )
    if conference.proposed_by_id == actor.pk:
        raise ValidationError("You proposed this time: another member of the team confirms it.")
    members = _check_writer(conference.case, actor)
    if conference.proposed_at <= timezone.now():
        raise ValidationError("The proposed time has passed: propose another time.")
    conference.status = CaseConference.Status.SCHEDULED
    conference.scheduled_at = conference.proposed_at
    conference.confirmed_by = actor
    conference.updated_at = timezone.now()
    conference.full_clean()
    conference.save(update_fields=["status", "scheduled_at", "confirmed_by", "updated_at"])
    _notify_conference(
        conference,
        members,
        text="Case conference scheduled",
        key=f"conference:{conference.pk}:scheduled:{conference.scheduled_at:%Y%m%d%H%M}",
    )
    return conference


@transaction.atomic
def conference_propose_time(
    *, conference: CaseConference, actor, proposed_at: dt.datetime
) -> CaseConference:
    """Propose another time; the others confirm it."""
    conference = _conference_for_update(conference, actor)
    if not conference.is_upcoming:
        raise ValidationError(
            f"This conference is {conference.get_status_display().lower()}: its time is settled."
        )
    members = _check_writer(conference.case, actor)
    _check_time(proposed_at)
    conference.status = CaseConference.Status.REQUESTED
    conference.proposed_at = proposed_at
    conference.proposed_by = actor
    conference.scheduled_at = None
    conference.confirmed_by = None
    conference.updated_at = timezone.now()
    conference.full_clean()
    conference.save(
        update_fields=[
            "status",
            "proposed_at",
            "proposed_by",
            "scheduled_at",
            "confirmed_by",
            "updated_at",
        ]
    )
    _notify_conference(
        conference,
        members,
        text="New time proposed for a case conference",
        key=f"conference:{conference.pk}:proposed:{proposed_at:%Y%m%d%H%M}",
    )
    return conference


@transaction.atomic
def conference_record_outcome(
    *,
    conference: CaseConference,
    actor,
    outcome_notes: str,
    held_on: dt.date,
    billing_told: bool,
) -> CaseConference:
    """Record that a scheduled conference was held, whether the patient was told such
    sessions may be billed, and what came out of it as the actor's own outcome (a
    ConferenceOutcome authored by them: recording again edits theirs, another member
    writes their own)."""
    conference = _conference_for_update(conference, actor)
    if conference.status not in (CaseConference.Status.SCHEDULED, CaseConference.Status.HELD):
        raise ValidationError("Only a scheduled conference is held: agree on a time first.")
    _check_writer(conference.case, actor)
    if (
        held_on
        and conference.scheduled_at
        and held_on < timezone.localdate(conference.scheduled_at)
    ):
        raise ValidationError({"held_on": "The conference cannot be held before its time."})
    now = timezone.now()
    conference.status = CaseConference.Status.HELD
    conference.held_on = held_on
    conference.billing_told = billing_told
    conference.updated_at = now
    conference.full_clean()
    conference.save(update_fields=["status", "held_on", "billing_told", "updated_at"])
    outcome = ConferenceOutcome.objects.filter(conference=conference, author=actor).first()
    created = outcome is None
    if created:
        outcome = ConferenceOutcome(conference=conference, author=actor, created_at=now)
    outcome.notes = outcome_notes.strip()
    outcome.updated_at = now
    try:
        outcome.full_clean()
    except ValidationError as error:
        # The form calls the field outcome_notes.
        raise ValidationError({"outcome_notes": error.messages}) from None
    if created:
        outcome.save()
        gate.grants_for_new_object(outcome)
    else:
        outcome.save(update_fields=["notes", "updated_at"])
    return conference


@transaction.atomic
def conference_cancel(*, conference: CaseConference, actor) -> CaseConference:
    """Call off a requested or scheduled conference."""
    conference = _conference_for_update(conference, actor)
    if not conference.is_upcoming:
        raise ValidationError(
            f"This conference is {conference.get_status_display().lower()} and cannot be cancelled."
        )
    if not selectors.is_on_care_team(conference.case, actor):
        raise PermissionDenied("Only the case's care team changes its conferences.")
    conference.status = CaseConference.Status.CANCELLED
    conference.cancelled_by = actor
    conference.updated_at = timezone.now()
    conference.save(update_fields=["status", "cancelled_by", "updated_at"])
    members = selectors.members_reached(conference.case, actor)
    _notify_conference(
        conference,
        members,
        text="A case conference was cancelled",
        key=f"conference:{conference.pk}:cancelled",
    )
    return conference
