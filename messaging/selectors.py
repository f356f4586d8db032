"""Reads of case threads, consult questions and case conferences.

Messages and conferences are PHI: every read here goes through ``releases.gate``
(``visible`` for lists, ``read_one`` for one record); the pages call
``gate.record_reads`` for what they show.

Who may write in a case thread (the posting rule)
-------------------------------------------------
A clinician may post a message, ask or answer a consult question, or ask for and update
a case conference in a case iff

1. they are on that case's care team and the case is open, and
2. a release is active *now* under which at least one *other* member of the care team
   may read what they write in the category "messages" (``gate.covering_release`` with
   the writer as author: a release to that member from the writer or the writer's
   clinic, or a mutual release between them).

So nothing is written into a thread that no one else could lawfully read, and a
clinician whose release was revoked or expired can neither read the others' messages
(the gate) nor post. Reading stays the gate's decision alone: each reader sees the
messages the rule lets them read, and always their own.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from cases.categories import Category
from cases.extensions import TimelineEntry
from cases.models import CareTeamMember, Case, Observation, Patient
from releases import gate

from .models import CaseConference, ConferenceOutcome, Message, MessageRead

MESSAGES = Category.MESSAGES
THREAD_PAGE = 100


# --- the thread --------------------------------------------------------------------


def access_case_for_thread(user, pk) -> Case:
    """A case whose care team the user is on, with its patient; 404 (logged) otherwise."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise gate.refuse(user, Case, pk, reason="bad id") from None
    clinician = getattr(user, "clinician", None) if user.is_authenticated else None
    case = None
    if clinician is not None and not clinician.is_clinic_admin:
        case = (
            Case.objects.select_related("patient")
            .filter(
                pk=pk, care_team__in=CareTeamMember.objects.reading().filter(clinician__user=user)
            )
            .first()
        )
    if case is None:
        raise gate.refuse(user, Case, pk, reason="not on the care team")
    return case


def members_reached(case: Case, writer, *, when=None) -> list[CareTeamMember]:
    """The other members of the case's care team who may read what ``writer`` writes
    now in the thread (one query)."""
    return list(
        CareTeamMember.objects.reading()
        .filter(case=case)
        .exclude(clinician__user=writer)
        .annotate(
            release_id=gate.covering_release(
                reader=OuterRef("clinician__user"),
                author=writer.pk,
                patient=case.patient_id,
                category=MESSAGES,
                when=when,
            )
        )
        .filter(release_id__isnull=False)
        .select_related("clinician__user")
    )


def is_on_care_team(case: Case, user) -> bool:
    """Whether the user is on this case's care team."""
    return CareTeamMember.objects.reading().filter(case=case, clinician__user=user).exists()


def why_cannot_write(case: Case, user) -> str:
    """Why ``user`` may not write in the case's thread now, or "" when they may
    (the posting rule in this module's docstring)."""
    if not is_on_care_team(case, user):
        return "Only the case's care team writes in its thread."
    if case.status != Case.Status.OPEN:
        return "This case is closed: its thread is read-only."
    if not members_reached(case, user):
        return (
            "No information release is active that lets the rest of the care team read "
            "what you write about this patient, so you cannot write here now. The clinic "
            "admin prepares and activates releases."
        )
    return ""


def messages_of_thread(user, case: Case, *, before: int | None = None) -> list[Message]:
    """The thread's messages the user may read, newest last: the latest page, or the page
    before message id ``before``."""
    queryset = Message.objects.filter(case=case).select_related(
        "case__patient", "author__clinician"
    )
    if before:
        queryset = queryset.filter(pk__lt=before)
    newest_first = gate.visible(user, Message, queryset).order_by("-created_at", "-pk")
    return list(reversed(newest_first[:THREAD_PAGE]))


def unread_ids(user, messages: list[Message]) -> set[int]:
    """Which of these messages (written by others) the user has not read yet."""
    others = [m.pk for m in messages if m.author_id != user.pk]
    if not others:
        return set()
    read = MessageRead.objects.filter(reader=user, message_id__in=others).values_list(
        "message_id", flat=True
    )
    return set(others) - set(read)


def readers_of(messages: list[Message]) -> dict[int, list[MessageRead]]:
    """message id -> who read it and when, besides its author (one query)."""
    by_message: dict[int, list[MessageRead]] = {m.pk: [] for m in messages}
    if not messages:
        return by_message
    reads = MessageRead.objects.filter(message_id__in=list(by_message)).select_related("reader")
    for read in reads.order_by("read_at"):
        by_message[read.message_id].append(read)
    return by_message


@dataclass
class Pointers:
    """What the messages point at, among what the reader may read."""

    medications: dict
    observations: dict

    def records(self) -> list:
        return [*self.medications.values(), *self.observations.values()]


def pointers_for(user, messages: list[Message]) -> Pointers:
    """The medications and observations the messages point at that the user may read
    (two queries at most, whatever the count)."""
    from medications.models import Medication

    medication_ids = {m.medication_id for m in messages if m.medication_id}
    observation_ids = {m.observation_id for m in messages if m.observation_id}
    medications, observations = {}, {}
    if medication_ids:
        queryset = Medication.objects.filter(pk__in=medication_ids).select_related("patient")
        medications = {m.pk: m for m in gate.visible(user, Medication, queryset)}
    if observation_ids:
        queryset = Observation.objects.filter(pk__in=observation_ids).select_related(
            "case__patient"
        )
        observations = {n.pk: n for n in gate.visible(user, Observation, queryset)}
    return Pointers(medications=medications, observations=observations)


def prepare_for_display(
    messages: list[Message],
    *,
    pointers: Pointers,
    unread: set[int] = frozenset(),
    readers: dict | None = None,
) -> list[Message]:
    """Attach what a page shows next to each message: the record it points at (when the
    reader may read it), whether it is new to the reader, and who has read it."""
    readers = readers or {}
    # Answers point back at their question when it is shown on the same page.
    questions_by_answer = {m.answer_id: m.pk for m in messages if m.answer_id}
    for message in messages:
        message.answers_question_id = questions_by_answer.get(message.pk)
        message.shown_medication = pointers.medications.get(message.medication_id)
        message.shown_observation = pointers.observations.get(message.observation_id)
        message.points_elsewhere = bool(
            (message.medication_id and not message.shown_medication)
            or (message.observation_id and not message.shown_observation)
        )
        message.is_new = message.pk in unread
        message.read_by = [
            r for r in readers.get(message.pk, []) if r.reader_id != message.author_id
        ]
    return messages


def pointer_choices(user, case: Case) -> tuple[list, list]:
    """The patient's medications and observations the user may read, to point a message
    at: (medications, observations), newest first, at most 50 each."""
    from medications.models import Medication

    medications = gate.visible(
        user, Medication, Medication.objects.filter(patient_id=case.patient_id)
    ).select_related("patient")
    observations = gate.visible(
        user, Observation, Observation.objects.filter(case__patient_id=case.patient_id)
    ).select_related("case__patient")
    return (
        list(medications.order_by("status", "name")[:50]),
        list(observations.order_by("-observed_on", "-created_at")[:50]),
    )


# --- counts and the inbox ------------------------------------------------------------


def _not_read_by(user) -> Q:
    return ~Q(author=user) & ~Q(
        Exists(MessageRead.objects.filter(message=OuterRef("pk"), reader=user))
    )


def unread_messages(user) -> QuerySet[Message]:
    """Messages by others the user may read and has not read yet."""
    return gate.visible(user, Message).filter(_not_read_by(user))


def unread_count(user, *, case: Case | None = None) -> int:
    """How many messages wait unread for the user (in one case, or in all)."""
    queryset = unread_messages(user)
    if case is not None:
        queryset = queryset.filter(case=case)
    return queryset.count()


@dataclass
class ThreadSummary:
    case: Case
    messages: int = 0
    unread: int = 0
    open_questions: int = 0
    last_at: dt.datetime | None = None


def thread_summaries(user, cases: list[Case]) -> list[ThreadSummary]:
    """Counts of the messages the user may read in each case: unread, open questions
    waiting for them, last activity. Most recent first. No message text (one query)."""
    summaries = {case.pk: ThreadSummary(case=case) for case in cases}
    if not summaries:
        return []
    waiting = Q(kind=Message.Kind.QUESTION, state=Message.State.OPEN) & ~Q(author=user)
    rows = (
        gate.visible(user, Message, Message.objects.filter(case_id__in=list(summaries)))
        .values("case_id")
        .annotate(
            total=Count("pk"),
            unread=Count("pk", filter=_not_read_by(user)),
            waiting=Count("pk", filter=waiting),
            last=Max("created_at"),
        )
        .order_by()
    )
    # The gate's annotation may split a case's rows by release: add them up.
    for row in rows:
        summary = summaries[row["case_id"]]
        summary.messages += row["total"]
        summary.unread += row["unread"]
        summary.open_questions += row["waiting"]
        if summary.last_at is None or row["last"] > summary.last_at:
            summary.last_at = row["last"]
    never = dt.datetime.min.replace(tzinfo=dt.UTC)
    return sorted(
        summaries.values(),
        key=lambda s: (s.unread > 0, s.last_at or never),
        reverse=True,
    )


def inbox_threads(user) -> list[ThreadSummary]:
    """The threads of every case whose care team the user is on (two queries)."""
    cases = list(
        Case.objects.filter(
            care_team__in=CareTeamMember.objects.reading().filter(clinician__user=user)
        )
        .select_related("patient")
        .order_by("patient__family_name", "patient__given_name", "-opened_on")
    )
    return thread_summaries(user, cases)


# --- consult questions -----------------------------------------------------------------


def _on_case_team(user) -> Exists:
    return Exists(
        CareTeamMember.objects.reading().filter(case=OuterRef("case"), clinician__user=user)
    )


def questions_waiting_for(user) -> QuerySet[Message]:
    """Open consult questions by others in the user's cases that the user may read:
    their queue, oldest first."""
    queryset = Message.objects.filter(
        _on_case_team(user), kind=Message.Kind.QUESTION, state=Message.State.OPEN
    ).exclude(author=user)
    return (
        gate.visible(user, Message, queryset)
        .select_related("case__patient", "author__clinician")
        .order_by("created_at", "pk")
    )


def questions_asked_by(user, *, answered_since: dt.datetime | None = None) -> QuerySet[Message]:
    """The user's own consult questions: the open ones, and those answered since
    ``answered_since`` (default: the last 30 days); open first, then newest answer."""
    answered_since = answered_since or timezone.now() - dt.timedelta(days=30)
    queryset = Message.objects.filter(author=user, kind=Message.Kind.QUESTION).filter(
        Q(state=Message.State.OPEN) | Q(answered_at__gte=answered_since)
    )
    return (
        gate.visible(user, Message, queryset)
        .select_related("case__patient", "author__clinician")
        # "open" sorts after "answered": descending puts the open questions first.
        .order_by("-state", "-answered_at", "created_at")
    )


def question_for_user(user, pk) -> Message:
    """One consult question the user may read (404 alike for missing and hidden); the read
    is recorded."""
    queryset = Message.objects.filter(kind=Message.Kind.QUESTION).select_related(
        "case__patient", "author__clinician"
    )
    return gate.read_one(user, Message, pk, queryset=queryset)


def visible_answers(user, questions) -> dict[int, Message]:
    """question id -> its answer, for the answers the user may read (one query)."""
    answer_ids = {q.answer_id: q.pk for q in questions if q.answer_id}
    if not answer_ids:
        return {}
    queryset = Message.objects.filter(pk__in=list(answer_ids)).select_related(
        "case__patient", "author__clinician"
    )
    return {answer_ids[a.pk]: a for a in gate.visible(user, Message, queryset)}


# --- case conferences --------------------------------------------------------------------


def conferences_visible_to(user, *, case: Case | None = None) -> QuerySet[CaseConference]:
    """Case conferences the user may read, upcoming first (soonest first), then the rest."""
    queryset = CaseConference.objects.select_related(
        "case__patient", "requested_by__clinician", "proposed_by", "confirmed_by"
    )
    if case is not None:
        queryset = queryset.filter(case=case)
    return gate.visible(user, CaseConference, queryset).order_by("-proposed_at", "-pk")


def upcoming_conferences(user) -> list[CaseConference]:
    """Requested and scheduled conferences the user may read, soonest first."""
    queryset = conferences_visible_to(user).filter(
        status__in=[CaseConference.Status.REQUESTED, CaseConference.Status.SCHEDULED]
    )
    return sorted(queryset, key=lambda c: (c.when, c.pk))


def conference_for_user(user, pk) -> CaseConference:
    """One conference the user may read (404 alike for missing and hidden); read recorded."""
    queryset = CaseConference.objects.select_related(
        "case__patient", "requested_by__clinician", "proposed_by", "confirmed_by"
    )
    return gate.read_one(user, CaseConference, pk, queryset=queryset)


def visible_outcomes(user, conferences) -> dict[int, list[ConferenceOutcome]]:
    """conference id -> the outcomes of it the user may read, each under its own
    author's releases (one query); their reads are recorded."""
    ids = [conference.pk for conference in conferences]
    if not ids:
        return {}
    queryset = ConferenceOutcome.objects.filter(conference_id__in=ids).select_related(
        "author__clinician"
    )
    outcomes = list(gate.visible(user, ConferenceOutcome, queryset).order_by("created_at", "pk"))
    gate.record_reads(user, outcomes)
    by_conference: dict[int, list[ConferenceOutcome]] = defaultdict(list)
    for outcome in outcomes:
        by_conference[outcome.conference_id].append(outcome)
    return dict(by_conference)


def own_outcome(user, conference: CaseConference) -> ConferenceOutcome | None:
    """The outcome the user wrote of this conference, if any (for editing it)."""
    return ConferenceOutcome.objects.filter(conference=conference, author=user).first()


# --- the patient timeline ---------------------------------------------------------------


def consult_timeline(user, patient: Patient) -> list[TimelineEntry]:
    """Answered consult questions of the patient (question and answer, as far as the user
    may read them) and case conferences, as timeline entries."""
    questions = list(
        gate.visible(
            user,
            Message,
            Message.objects.filter(
                case__patient=patient,
                kind=Message.Kind.QUESTION,
                state=Message.State.ANSWERED,
            ).select_related("case__patient", "author__clinician"),
        )
    )
    answers = visible_answers(user, questions)
    # The answers are shown inside their question's entry, so their reads are recorded
    # here; the page records the entries' own objects.
    gate.record_reads(user, answers.values())
    entries = [
        TimelineEntry(
            when=question.answered_at,
            kind="consult",
            template="messaging/_timeline_question.html",
            obj=question,
            extra={"answer": answers.get(question.pk)},
        )
        for question in questions
    ]
    conferences = list(
        gate.visible(
            user,
            CaseConference,
            CaseConference.objects.filter(case__patient=patient)
            .exclude(status=CaseConference.Status.CANCELLED)
            .select_related("case__patient", "requested_by__clinician"),
        )
    )
    # Each outcome is read under its own author's releases, apart from the conference.
    outcomes = visible_outcomes(user, conferences)
    for conference in conferences:
        held = conference.status == CaseConference.Status.HELD and conference.held_on
        entries.append(
            TimelineEntry(
                when=conference.held_on if held else conference.when,
                kind="conference",
                template="messaging/_timeline_conference.html",
                obj=conference,
                extra={"outcomes": outcomes.get(conference.pk, [])},
            )
        )
    return entries
