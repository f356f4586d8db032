"""The messaging demo data: every piece the issue asks for, created once."""

import pytest
from django.core.management import call_command

from messaging.models import CaseConference, Message
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def counts():
    return (
        Message.objects.count(),
        CaseConference.objects.count(),
        Notification.objects.count(),
    )


def test_seed_demo_builds_the_conversation_once():
    call_command("seed_demo", verbosity=0)
    first = counts()
    call_command("seed_demo", verbosity=0)
    assert counts() == first

    thread = Message.objects.filter(case__patient__mrn="DEMO-1001")  # alex
    assert thread.filter(kind=Message.Kind.MESSAGE).count() >= 3
    assert thread.filter(kind=Message.Kind.QUESTION, state=Message.State.OPEN).exists()
    answered = thread.get(kind=Message.Kind.QUESTION, state=Message.State.ANSWERED)
    assert answered.answer is not None

    conference = CaseConference.objects.get()
    assert conference.status == CaseConference.Status.SCHEDULED
