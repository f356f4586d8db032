"""Safety alerts: raised by a positive PHQ-9 item 9 or an observation marked for
attention today; shown first to the care team who may read the source; never dismissed
or snoozed; acknowledged with what was done, which ends them for everyone.

Personas (tests/conftest.py): the therapist ``author`` and the prescriber ``recipient``
share everything (``shared_world``); ``colleague`` and ``other_category`` are on the
care team without a release for assessments and observations; ``other_clinic`` treats
someone else; ``clinic_admin`` never reads clinical records.
"""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from alerts import services
from alerts.models import AlertAcknowledgement, SafetyAlert
from cases import services as case_services
from notifications import services as notification_services
from notifications.models import Notification
from releases.models import Disclosure
from tests.assessments.kit import give

pytestmark = pytest.mark.django_db

OTHERS = ("colleague", "other_category", "other_clinic", "clinic_admin")


def urgent_to(user):
    return Notification.objects.filter(recipient=user, kind=Notification.Kind.URGENT)


def attention_observation(world, *, author=None, **fields):
    fields.setdefault("adherence", "missed_doses")
    return case_services.observation_create(
        case=world.case,
        author=(author or world.author).user,
        observed_on=timezone.localdate(),
        needs_attention_today=True,
        attention_reason=fields.pop("reason", "Says they stockpiled tablets"),
        **fields,
    )


def page(as_user, user, url) -> str:
    response = as_user(user).get(url)
    assert response.status_code == 200, url
    return response.content.decode()


# --- raising ------------------------------------------------------------------------


def test_a_positive_item_9_raises_one_alert_for_the_patient(shared_world):
    assessment = give(shared_world, 14, timezone.localdate(), item9=1)
    alert = SafetyAlert.objects.get()
    assert alert.assessment == assessment
    assert alert.patient == shared_world.patient
    assert alert.source == SafetyAlert.Source.PHQ9_ITEM9
    assert alert.author == shared_world.author.user
    assert alert.is_open
    # A retry raises nothing twice.
    services.alert_raise_for_assessment(assessment=assessment)
    assert SafetyAlert.objects.count() == 1


def test_item_9_answered_not_at_all_raises_no_alert(shared_world):
    give(shared_world, 20, timezone.localdate(), item9=0)
    assert not SafetyAlert.objects.exists()


def test_an_observation_marked_for_attention_today_raises_an_alert_with_its_reason(
    shared_world,
):
    observation = attention_observation(shared_world)
    alert = SafetyAlert.objects.get()
    assert alert.observation == observation
    assert alert.source == SafetyAlert.Source.OBSERVATION
    assert alert.reason == "Says they stockpiled tablets"
    # Editing the observation raises nothing twice.
    case_services.observation_update(
        observation=observation, author=shared_world.author.user, body="More"
    )
    assert SafetyAlert.objects.count() == 1


def test_attention_today_needs_a_reason_and_a_shared_observation(shared_world):
    with pytest.raises(ValidationError) as error:
        attention_observation(shared_world, reason="")
    assert "attention_reason" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        attention_observation(shared_world, shared=False)
    assert "needs_attention_today" in error.value.message_dict
    assert not SafetyAlert.objects.exists()


def test_the_observation_form_offers_the_explicit_choice_and_asks_why(shared_world, as_user):
    client = as_user(shared_world.author.user)
    url = reverse("cases:observation_create", args=[shared_world.patient.pk])
    assert "Needs the prescriber&#x27;s attention today" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "observed_on": timezone.localdate().isoformat(),
            "needs_attention_today": "on",
            "adherence": "stopped",
            "shared": "on",
        },
    )
    assert response.status_code == 200
    assert "Say why it needs attention today." in response.content.decode()
    assert not SafetyAlert.objects.exists()
    response = client.post(
        url,
        {
            "observed_on": timezone.localdate().isoformat(),
            "needs_attention_today": "on",
            "attention_reason": "Talks of ending it",
            "adherence": "stopped",
            "shared": "on",
        },
    )
    assert response.status_code == 302
    assert SafetyAlert.objects.get().reason == "Talks of ending it"


# --- who sees it --------------------------------------------------------------------


def test_the_alert_reaches_the_care_team_who_may_read_its_source_and_nobody_else(
    shared_world, as_user
):
    give(shared_world, 14, timezone.localdate(), item9=2)
    alert = SafetyAlert.objects.get()
    name = shared_world.patient.family_name
    for persona in ("author", "recipient"):
        user = shared_world.user(persona)
        assert urgent_to(user).count() == 1, persona
        assert urgent_to(user).get().url == alert.get_absolute_url()
        assert name in page(as_user, user, alert.get_absolute_url())
    for persona in OTHERS:
        user = shared_world.user(persona)
        assert not urgent_to(user).exists(), persona
        assert as_user(user).get(alert.get_absolute_url()).status_code == 404, persona


def test_a_private_assessment_alerts_its_author_only(shared_world):
    give(shared_world, 14, timezone.localdate(), item9=1, shared=False)
    assert urgent_to(shared_world.author.user).count() == 1
    assert not urgent_to(shared_world.recipient.user).exists()


def test_the_alert_is_first_on_both_home_pages_the_review_queue_and_the_patient_page(
    shared_world, as_user
):
    give(shared_world, 14, timezone.localdate(), item9=1)
    alert = SafetyAlert.objects.get()
    marker = f'data-alert="{alert.pk}"'
    name = f"{shared_world.patient.family_name}, {shared_world.patient.given_name}"
    pages = {
        "recipient": ["/", reverse("medications:review")],
        "author": ["/"],
    }
    for persona, urls in pages.items():
        user = shared_world.user(persona)
        for url in [*urls, reverse("cases:patient_detail", args=[shared_world.patient.pk])]:
            body = page(as_user, user, url)
            content = body[body.index("<main") :] if "<main" in body else body
            banner = content.index('data-testid="safety-alerts"')
            assert marker in content and name in content, (persona, url)
            assert banner < content.index("<h1"), (persona, url)  # before anything else
    for persona in ("colleague", "other_category"):
        assert marker not in page(as_user, shared_world.user(persona), "/"), persona


def test_reading_an_alert_is_an_access_entry_and_under_a_release_a_disclosure(
    shared_world, as_user
):
    give(shared_world, 14, timezone.localdate(), item9=1)
    alert = SafetyAlert.objects.get()
    page(as_user, shared_world.recipient.user, alert.get_absolute_url())
    assert LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS,
        object_pk=str(alert.pk),
        actor=shared_world.recipient.user,
        content_type__model="safetyalert",
    ).exists()
    disclosure = Disclosure.objects.get(object_model="alerts.SafetyAlert", object_id=alert.pk)
    assert disclosure.recipient == shared_world.recipient.user
    assert disclosure.release == shared_world.extra["release"]


def test_the_notification_names_no_patient_and_no_clinical_text(shared_world):
    attention_observation(shared_world, reason="Bought rope yesterday")
    text = urgent_to(shared_world.recipient.user).get().text
    for secret in (
        shared_world.patient.family_name,
        shared_world.patient.given_name,
        shared_world.patient.mrn,
        "rope",
    ):
        assert secret not in text


# --- never dismissed or snoozed -------------------------------------------------------


def test_its_notification_cannot_be_dismissed_or_snoozed(shared_world, as_user):
    give(shared_world, 14, timezone.localdate(), item9=1)
    user = shared_world.recipient.user
    notification = urgent_to(user).get()
    with pytest.raises(ValidationError):
        notification_services.notification_dismiss(notification=notification)
    with pytest.raises(ValidationError):
        notification_services.notification_snooze(
            notification=notification, until=timezone.now() + timezone.timedelta(days=1)
        )
    client = as_user(user)
    response = client.post(reverse("notifications:dismiss", args=[notification.pk]), follow=True)
    assert response.status_code == 200
    assert "cannot be dismissed or snoozed" in response.content.decode()
    response = client.post(
        reverse("notifications:snooze", args=[notification.pk]),
        {"preset": "tomorrow"},
        follow=True,
    )
    assert "cannot be dismissed or snoozed" in response.content.decode()
    notification.refresh_from_db()
    assert notification.dismissed_at is None and notification.snoozed_until is None
    listing = page(as_user, user, reverse("notifications:list"))
    assert f'action="{reverse("notifications:dismiss", args=[notification.pk])}"' not in listing


def test_an_unread_urgent_notification_is_first_in_the_list(shared_world, as_user):
    give(shared_world, 14, timezone.localdate(), item9=1)
    user = shared_world.recipient.user
    notification_services.notify(recipient=user, kind="message", text="A newer message")
    listing = page(as_user, user, reverse("notifications:list"))
    assert listing.index("safety alert waits") < listing.index("A newer message")


# --- acknowledging --------------------------------------------------------------------


def acknowledge(as_user, user, alert, **data):
    data.setdefault("action", AlertAcknowledgement.Action.CONTACTED)
    data.setdefault("note", "Called her; safe tonight, seen tomorrow")
    return as_user(user).post(alert.get_absolute_url(), data)


def test_acknowledging_ends_the_alert_for_everyone_and_is_on_both_timelines(shared_world, as_user):
    give(shared_world, 14, timezone.localdate(), item9=1)
    alert = SafetyAlert.objects.get()
    marker = 'data-testid="safety-alerts"'
    response = acknowledge(as_user, shared_world.recipient.user, alert)
    assert response.status_code == 302
    ack = AlertAcknowledgement.objects.get()
    assert ack.acknowledged_by == shared_world.recipient.user
    assert ack.action == AlertAcknowledgement.Action.CONTACTED
    alert.refresh_from_db()
    assert alert.acknowledged_at == ack.acknowledged_at
    patient_url = reverse("cases:patient_detail", args=[shared_world.patient.pk])
    for persona in ("author", "recipient"):
        user = shared_world.user(persona)
        assert marker not in page(as_user, user, "/"), persona
        body = page(as_user, user, patient_url)
        assert marker not in body
        timeline = body[body.index('<ul class="timeline">') :]
        assert f'data-acknowledgement="{ack.pk}"' in timeline, persona
        assert "Contacted the patient" in timeline
        # Its notifications are read for everyone.
        assert urgent_to(user).get().read_at is not None
    # The therapist reads who did what on the alert's page.
    body = page(as_user, shared_world.author.user, alert.get_absolute_url())
    assert "Called her; safe tonight" in body and "Acknowledged" in body


def test_an_acknowledged_alert_cannot_be_acknowledged_again(shared_world, as_user):
    give(shared_world, 14, timezone.localdate(), item9=1)
    alert = SafetyAlert.objects.get()
    services.alert_acknowledge(alert=alert, by=shared_world.author.user, action="seen")
    with pytest.raises(ValidationError):
        services.alert_acknowledge(
            alert=alert, by=shared_world.recipient.user, action="other", note="x"
        )
    client = as_user(shared_world.recipient.user)
    response = client.post(alert.get_absolute_url(), {"action": "seen"}, follow=True)
    assert "already acknowledged" in response.content.decode()
    assert AlertAcknowledgement.objects.count() == 1


def test_only_who_may_read_the_alert_acknowledges_it(shared_world, as_user):
    give(shared_world, 14, timezone.localdate(), item9=1)
    alert = SafetyAlert.objects.get()
    with pytest.raises(PermissionDenied):
        services.alert_acknowledge(alert=alert, by=shared_world.colleague.user, action="seen")
    assert acknowledge(as_user, shared_world.colleague.user, alert).status_code == 404
    assert not AlertAcknowledgement.objects.exists()


def test_an_acknowledgement_needs_an_action_and_other_needs_a_note(shared_world, as_user):
    give(shared_world, 14, timezone.localdate(), item9=1)
    alert = SafetyAlert.objects.get()
    body = acknowledge(as_user, shared_world.recipient.user, alert, action="").content.decode()
    assert "Choose what was done." in body
    body = acknowledge(
        as_user, shared_world.recipient.user, alert, action="other", note=" "
    ).content.decode()
    assert "Say what was done." in body
    assert not AlertAcknowledgement.objects.exists()


def test_the_acknowledgement_is_audited_without_its_note(shared_world):
    give(shared_world, 14, timezone.localdate(), item9=1)
    alert = SafetyAlert.objects.get()
    ack = services.alert_acknowledge(
        alert=alert, by=shared_world.recipient.user, action="safety_plan", note="Plan reviewed"
    )
    entry = LogEntry.objects.get(content_type__model="alertacknowledgement", object_pk=str(ack.pk))
    assert entry.actor is None or entry.actor == shared_world.recipient.user
    assert "Plan reviewed" not in str(entry.changes)
