"""A positive PHQ-9 item 9 raises one urgent flag to the care team who may read it: the
notification of its safety alert (tests/alerts has the alert itself)."""

import pytest
from django.utils import timezone

from assessments import services
from notifications import channels
from notifications.models import Notification
from tests.conftest import make_world

from .kit import give

pytestmark = pytest.mark.django_db


def urgent_to(user):
    return Notification.objects.filter(recipient=user, kind=Notification.Kind.URGENT)


def test_item_9_flags_the_prescriber_and_the_therapist_once(shared_world):
    world = shared_world
    assessment = give(world, 14, timezone.localdate(), item9=1)
    assert assessment.safety_flag
    for persona in ("author", "recipient"):
        observations = list(urgent_to(world.user(persona)))
        assert len(observations) == 1, persona
        alert = assessment.safety_alert
        assert observations[0].key == f"alert:{alert.pk}:raised"
        assert observations[0].url == f"/alerts/{alert.pk}/"
    # Raising it again (a retry, a second call) sends nothing twice.
    services.assessment_flag_safety(assessment=assessment)
    services.assessment_flag_safety(assessment=assessment)
    assert Notification.objects.filter(kind=Notification.Kind.URGENT).count() == 2


def test_nobody_else_is_flagged(shared_world):
    world = shared_world
    give(world, 14, timezone.localdate(), item9=2)
    for persona in ("colleague", "other_category", "other_clinic", "clinic_admin"):
        assert not urgent_to(world.user(persona)).exists(), persona


def test_the_flag_text_holds_no_phi(shared_world):
    world = shared_world
    give(world, 21, timezone.localdate(), item9=3)
    text = urgent_to(world.recipient.user).get().text
    assert world.patient.family_name not in text
    assert world.patient.given_name not in text
    assert world.patient.mrn not in text
    assert not any(character.isdigit() for character in text)
    assert "PHQ" not in text and "dead" not in text


def test_a_negative_item_9_flags_nobody(shared_world):
    give(shared_world, 20, timezone.localdate(), item9=0)
    assert not Notification.objects.exists()


def test_without_a_release_only_the_author_is_flagged_and_the_prescriber_cannot_open_it(
    client,
):
    world = make_world()
    assessment = give(world, 14, timezone.localdate(), item9=1)
    assert urgent_to(world.author.user).count() == 1
    assert not urgent_to(world.recipient.user).exists()
    client.force_login(world.recipient.user)
    assert client.get(assessment.get_absolute_url()).status_code == 404


def test_a_private_assessment_flags_its_author_only(shared_world):
    world = shared_world
    give(world, 14, timezone.localdate(), item9=1, shared=False)
    assert urgent_to(world.author.user).count() == 1
    assert not urgent_to(world.recipient.user).exists()


def test_the_flagged_assessment_opens_only_through_the_gate(shared_world, client):
    world = shared_world
    assessment = give(world, 14, timezone.localdate(), item9=1)
    client.force_login(world.recipient.user)
    page = client.get(urgent_to(world.recipient.user).get().url)
    assert page.status_code == 200
    assert "PHQ-9 item 9" in page.content.decode()
    page = client.get(assessment.get_absolute_url())
    assert "Safety item positive" in page.content.decode()
    client.force_login(world.colleague.user)
    assert client.get(assessment.get_absolute_url()).status_code == 404


def test_the_flag_shows_on_the_patient_timeline(shared_world, client):
    world = shared_world
    assessment = give(world, 14, timezone.localdate(), item9=1)
    client.force_login(world.recipient.user)
    body = client.get(f"/cases/patients/{world.patient.pk}/").content.decode()
    timeline = body[body.index('<ul class="timeline">') :]
    assert f'data-assessment="{assessment.pk}"' in timeline
    assert "Safety item positive" in timeline
    assert 'class="assessment flagged"' in timeline


def test_the_flag_reaches_every_delivery_channel_after_commit(
    shared_world, monkeypatch, django_capture_on_commit_callbacks
):
    delivered = []
    monkeypatch.setattr(channels, "_channels", [delivered.append])
    with django_capture_on_commit_callbacks(execute=True):
        give(shared_world, 14, timezone.localdate(), item9=1)
    assert sorted(delivered) == sorted(
        Notification.objects.filter(kind=Notification.Kind.URGENT).values_list("pk", flat=True)
    )
    assert len(delivered) == 2
