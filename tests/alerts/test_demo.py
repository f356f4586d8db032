"""The demo's safety alerts: Blair's PHQ-9 item 9 alert waits for acknowledgement; one
alert about another patient was acknowledged by the prescriber; seeding twice changes
nothing."""

import pytest
from django.core.management import call_command

from alerts.models import AlertAcknowledgement, SafetyAlert

pytestmark = pytest.mark.django_db


def test_the_demo_has_blairs_open_alert_and_one_acknowledged_alert():
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)
    open_alert = SafetyAlert.objects.get(acknowledged_at__isnull=True)
    assert open_alert.patient.given_name == "Blair"
    assert open_alert.source == SafetyAlert.Source.PHQ9_ITEM9
    done = SafetyAlert.objects.get(acknowledged_at__isnull=False)
    assert done.patient.given_name != "Blair"
    ack = AlertAcknowledgement.objects.get()
    assert ack.alert == done
    assert ack.acknowledged_by.username == "prescriber"
