"""The referrals demo data: Finley's referral waits for a release, created once."""

import pytest
from django.core.management import call_command

from referrals.models import Referral
from releases.models import InformationRelease

pytestmark = pytest.mark.django_db


def test_seed_demo_makes_one_pending_referral_resting_on_a_release_to_be_signed():
    call_command("seed_demo", verbosity=0)
    first = Referral.objects.count()
    call_command("seed_demo", verbosity=0)
    assert Referral.objects.count() == first

    referral = Referral.objects.get(patient__mrn="DEMO-1006")  # finley
    assert referral.status == Referral.Status.PENDING
    assert referral.release.status == InformationRelease.Status.DRAFT
