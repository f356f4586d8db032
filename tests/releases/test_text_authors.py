"""Text one clinician writes on another's row is read under its own author's releases
(issue 11, hole 1, the other kinds): a refill request's decline reason is the
prescriber's text on the therapist's request, a referral's decline reason the
prescriber's text on the therapist's referral."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.categories import Category
from medications import services as med_services
from medications.models import RefillRequest
from releases import gate
from releases import services as release_services
from releases.models import Disclosure
from tests.assessments.kit import start_medication
from tests.releasekit import make_release

pytestmark = pytest.mark.django_db

REASON = "Synthetic DECLINE-REASON-5e2"


@pytest.fixture
def declined(shared_world):
    """The therapist (author) asks, the prescriber (recipient) declines; ``colleague``
    (on the care team) has a medications release from the therapist only."""
    w = shared_world
    make_release(
        admin=w.clinic_admin.user,
        patient=w.patient,
        discloser=w.author,
        recipient=w.colleague,
        scope=[Category.MEDICATIONS],
    )
    medication = start_medication(w, timezone.localdate() - dt.timedelta(days=20))
    request = med_services.refill_request_create(
        medication=medication,
        requested_by=w.author.user,
        needed_by=timezone.localdate() + dt.timedelta(days=20),
        note="Synthetic note",
    )
    med_services.refill_request_decline(
        refill_request=request, handler=w.recipient.user, reason=REASON
    )
    w.extra["refill"] = request
    return w


def read(user, refill) -> RefillRequest:
    return gate.visible(user, RefillRequest).get(pk=refill.pk)


def test_a_reader_without_a_release_from_the_decliner_reads_the_request_not_the_reason(
    declined, as_user
):
    w = declined
    row = read(w.colleague.user, w.extra["refill"])
    assert row.note == "Synthetic note"  # the therapist's text: covered
    assert row.decline_reason == ""  # the prescriber's text: withheld
    assert row.gate_withheld == {"decline_reason"}
    body = as_user(w.colleague.user).get(reverse("cases:patient_detail", args=[w.patient.pk]))
    assert REASON not in body.content.decode()


def test_the_requester_reads_the_reason_under_the_decliners_release_and_it_is_disclosed(
    declined,
):
    w = declined
    row = read(w.author.user, w.extra["refill"])
    assert row.decline_reason == REASON
    gate.record_reads(w.author.user, [row])
    disclosure = Disclosure.objects.get(
        recipient=w.author.user, object_model="medications.RefillRequest"
    )
    assert disclosure.release == w.extra["release"]


def test_after_revocation_the_requester_no_longer_reads_the_reason(declined):
    w = declined
    release_services.release_revoke(
        release=w.extra["release"], actor=w.clinic_admin.user, reason="Patient revoked"
    )
    row = read(w.author.user, w.extra["refill"])  # their own request
    assert row.note == "Synthetic note"
    assert row.decline_reason == ""
    # The stored text is untouched.
    assert RefillRequest.objects.get(pk=row.pk).decline_reason == REASON


def test_the_decliner_reads_their_own_reason(declined):
    w = declined
    assert read(w.recipient.user, w.extra["refill"]).decline_reason == REASON


def test_a_referrals_decline_reason_is_the_prescribers_text(world):
    """One-way release therapist -> prescriber: the prescriber reads the referral; the
    therapist reads their referral but not the prescriber's reason, until the
    prescriber's own release covers it."""
    from referrals import services as referral_services
    from referrals.models import Referral

    w = world
    release = make_release(
        admin=w.clinic_admin.user,
        patient=w.patient,
        discloser=w.author,
        recipient=w.recipient,
        scope=[Category.MESSAGES],
    )
    referral = referral_services.referral_create(
        referred_by=w.author.user,
        patient=w.patient,
        to_prescriber=w.recipient,
        reason="Synthetic referral reason",
        release=release,
    )
    referral_services.referral_decline(referral=referral, actor=w.recipient.user, reason=REASON)
    assert gate.visible(w.recipient.user, Referral).get().decline_reason == REASON
    row = gate.visible(w.author.user, Referral).get()
    assert row.reason == "Synthetic referral reason"
    assert row.decline_reason == ""
    make_release(
        admin=w.clinic_admin.user,
        patient=w.patient,
        discloser=w.recipient,
        recipient=w.author,
        scope=[Category.MESSAGES],
    )
    assert gate.visible(w.author.user, Referral).get().decline_reason == REASON
