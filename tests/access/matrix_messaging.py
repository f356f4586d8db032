"""Case messages, consult questions and case conferences in the access matrix.

All three are shared PHI of the category "messages". The builders write rows through the
inserts the services use, without the posting rule: the matrix asks who may *read* a
row however it came to be (written while a release was active, read after it was
revoked or expired: the ``recipient`` persona is then a clinician who was on the care
team before the release ended). The posting rule has its own tests in tests/messaging.
"""

import datetime as dt
import uuid

from django.utils import timezone

from cases.categories import Category
from messaging import services
from messaging.models import Message

from .table import Kind, Url


def _marker(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def build_message(world, clinician, shared):
    marker = _marker("MSG")
    message = services._write(case=world.case, author=clinician.user, body=f"Synthetic {marker}")
    return message, marker


def build_question(world, clinician, shared):
    marker = _marker("ASK")
    question = services._write(
        case=world.case,
        author=clinician.user,
        body=f"Synthetic {marker}",
        kind=Message.Kind.QUESTION,
    )
    world.extra.setdefault("question", question)
    return question, marker


def build_conference(world, clinician, shared):
    marker = _marker("CONF")
    conference = services._conference_write(
        case=world.case,
        requested_by=clinician.user,
        agenda=f"Synthetic {marker}",
        proposed_at=timezone.now() + dt.timedelta(days=3),
        billing_told=False,
    )
    world.extra.setdefault("conference", conference)
    return conference, marker


KINDS = {
    "message": Kind(category=Category.MESSAGES, build=build_message, has_private=False),
    "consult question": Kind(category=Category.MESSAGES, build=build_question, has_private=False),
    "case conference": Kind(category=Category.MESSAGES, build=build_conference, has_private=False),
}

CARE_TEAM = {"author", "recipient", "colleague", "other_category"}


def care_team(persona, state):
    return persona in CARE_TEAM


def readers_of_the_authors_row(persona, state):
    """Who passes the access step of an action on the author's row: those who read it
    (the action's own rules are tested with the feature)."""
    return persona == "author" or (persona == "recipient" and state == "active")


def case(w, o):
    return [w.case.pk]


URLS = [
    # Case thread: the gate decides which messages each reader sees.
    Url("messaging:thread", "message", "list", case),
    Url("messaging:thread", "consult question", "list", case),
    # Consult questions
    Url("messaging:question_queue", "consult question", "list"),
    Url("messaging:question_detail", "consult question", "detail", lambda w, o: [o.pk]),
    Url(
        "messaging:question_answer",
        "consult question",
        "post",
        lambda w, o: [w.extra["question"].pk],
        allowed=readers_of_the_authors_row,
    ),
    # Case conferences
    Url("messaging:conference_list", "case conference", "list"),
    Url("cases:patient_detail", "case conference", "list", lambda w, o: [w.patient.pk]),
    Url("messaging:conference_detail", "case conference", "detail", lambda w, o: [o.pk]),
    Url("messaging:conference_propose", "case conference", "detail", lambda w, o: [o.pk]),
    Url("messaging:conference_outcome", "case conference", "detail", lambda w, o: [o.pk]),
    Url("messaging:conference_request", "case conference", "page", case, allowed=care_team),
    Url(
        "messaging:conference_confirm",
        "case conference",
        "post",
        lambda w, o: [w.extra["conference"].pk],
        allowed=readers_of_the_authors_row,
    ),
    Url(
        "messaging:conference_cancel",
        "case conference",
        "post",
        lambda w, o: [w.extra["conference"].pk],
        allowed=readers_of_the_authors_row,
    ),
]

NOT_PHI = {
    "messaging:inbox": "threads of the user's care teams with counts of the messages the "
    "gate lets them read; no message text (tested in tests/messaging)",
}


def build_outcome(world, clinician, shared):
    """A held conference asked for by ``clinician`` with an outcome they wrote (the
    two-author shape has its own world in test_two_authors)."""
    from messaging.models import CaseConference, ConferenceOutcome
    from releases import gate

    conference, _ = build_conference(world, clinician, shared)
    CaseConference.objects.filter(pk=conference.pk).update(
        status=CaseConference.Status.HELD, held_on=timezone.localdate()
    )
    marker = _marker("OUT")
    outcome = ConferenceOutcome.objects.create(
        conference=conference, author=clinician.user, notes=f"Synthetic {marker}"
    )
    gate.grants_for_new_object(outcome)
    return outcome, marker


KINDS["conference outcome"] = Kind(
    category=Category.MESSAGES, build=build_outcome, has_private=False
)
URLS += [
    Url("cases:patient_detail", "conference outcome", "list", lambda w, o: [w.patient.pk]),
    Url(
        "messaging:conference_detail",
        "conference outcome",
        "detail",
        lambda w, o: [o.conference_id],
    ),
]
