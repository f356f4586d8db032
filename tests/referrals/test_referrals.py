"""Referrals: states, refusals, acceptance onto the care team, the admin's waiting list."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.categories import Category
from cases.models import CareTeamMember, Case
from notifications.models import Notification
from referrals import selectors, services
from referrals.models import Referral
from releases import services as release_services
from tests.factories import CaseFactory, ClinicianFactory, PatientFactory, on_team
from tests.releasekit import make_release, pdf

pytestmark = pytest.mark.django_db

REASON = "Synthetic reason: low mood for months"
SEEN = "Synthetic: sleeps five hours"


@pytest.fixture
def newcomer(world):
    """A patient only the therapist (author) treats so far, with a release to the
    prescriber (recipient) awaiting signature."""
    patient = PatientFactory(clinic=world.clinic, family_name="Referredperson")
    case = CaseFactory(patient=patient)
    on_team(case, world.author)
    release = make_release(
        admin=world.clinic_admin.user,
        patient=patient,
        discloser=world.author,
        recipient=world.recipient,
        state="draft",
        scope=[Category.MESSAGES, Category.OBSERVATIONS, Category.MEDICATIONS],
        mutual=True,
    )
    world.extra.update(patient=patient, case=case, release=release)
    return world


def refer(world, **kwargs):
    kwargs.setdefault("referred_by", world.author.user)
    kwargs.setdefault("patient", world.extra["patient"])
    kwargs.setdefault("to_prescriber", world.recipient)
    kwargs.setdefault("reason", REASON)
    kwargs.setdefault("observations", SEEN)
    return services.referral_create(**kwargs)


def activate(world):
    release = world.extra["release"]
    release_services.release_record_signature(
        release=release,
        signer_name="Synthetic Signer",
        signer_relationship="self",
        signed_on=release.effective_on,
        document=pdf(),
        ack_right_to_revoke=True,
        ack_treatment_not_conditioned=True,
        ack_redisclosure=True,
    )
    return release_services.release_activate(release=release, actor=world.clinic_admin.user)


# --- creating ---------------------------------------------------------------------------


def test_a_referral_without_a_release_asks_the_clinic_admin_for_one(newcomer):
    referral = refer(newcomer)
    assert referral.status == Referral.Status.PENDING
    assert referral.release_requested and referral.release is None
    assert referral.case == newcomer.extra["case"]
    admin_note = Notification.objects.get(recipient=newcomer.clinic_admin.user)
    assert admin_note.text == "A referral waits for an information release"
    assert admin_note.url == reverse("referrals:waiting")
    prescriber_note = Notification.objects.get(recipient=newcomer.recipient.user)
    assert prescriber_note.text.startswith("New referral for medication evaluation")
    assert prescriber_note.url == reverse("referrals:list")
    for notification in Notification.objects.all():
        assert "Referredperson" not in notification.text
        assert "Synthetic" not in notification.text


def test_a_referral_may_rest_on_an_existing_release(newcomer):
    referral = refer(newcomer, release=newcomer.extra["release"])
    assert referral.release == newcomer.extra["release"]
    assert not referral.release_requested


def test_a_referral_under_an_active_release_opens_for_the_prescriber_at_once(newcomer):
    activate(newcomer)
    referral = refer(newcomer, release=newcomer.extra["release"])
    notification = Notification.objects.get(recipient=newcomer.recipient.user)
    assert notification.url == reverse("referrals:detail", args=[referral.pk])
    assert not Notification.objects.filter(recipient=newcomer.clinic_admin.user).exists()


def test_only_a_therapist_refers(newcomer):
    with pytest.raises(PermissionDenied):
        refer(newcomer, referred_by=newcomer.recipient.user)
    assert not Referral.objects.exists()


def test_a_therapist_refers_only_patients_whose_care_team_they_are_on(newcomer):
    with pytest.raises(ValidationError) as refused:
        refer(newcomer, patient=PatientFactory(clinic=newcomer.clinic))
    assert "patient" in refused.value.message_dict


@pytest.mark.parametrize("who", ["a therapist", "another clinic's prescriber"])
def test_a_referral_goes_to_a_prescriber_of_the_patients_clinic(newcomer, who):
    if who == "a therapist":
        addressee = ClinicianFactory(clinic=newcomer.clinic, role="therapist")
    else:
        addressee = ClinicianFactory(clinic=newcomer.other, role="prescriber")
    with pytest.raises(ValidationError) as refused:
        refer(newcomer, to_prescriber=addressee)
    assert "to_prescriber" in refused.value.message_dict
    assert not Referral.objects.exists()


def test_a_second_pending_referral_to_the_same_prescriber_is_refused(newcomer):
    first = refer(newcomer)
    with pytest.raises(ValidationError, match="already pending"):
        refer(newcomer)
    services.referral_withdraw(referral=first, actor=newcomer.author.user)
    assert refer(newcomer).status == Referral.Status.PENDING


@pytest.mark.parametrize("problem", ["other patient", "other prescriber", "revoked", "no messages"])
def test_a_referral_cannot_rest_on_a_release_that_does_not_cover_it(newcomer, problem):
    world = newcomer
    admin = world.clinic_admin.user
    if problem == "other patient":
        release = make_release(
            admin=admin,
            patient=world.patient,
            discloser=world.author,
            recipient=world.recipient,
            state="draft",
            scope=[Category.MESSAGES],
        )
    elif problem == "other prescriber":
        release = make_release(
            admin=admin,
            patient=world.extra["patient"],
            discloser=world.author,
            recipient=world.colleague,
            state="draft",
            scope=[Category.MESSAGES],
        )
    elif problem == "revoked":
        release = make_release(
            admin=admin,
            patient=world.extra["patient"],
            discloser=world.author,
            recipient=world.recipient,
            state="revoked",
            scope=[Category.MESSAGES],
        )
    else:
        release = make_release(
            admin=admin,
            patient=world.extra["patient"],
            discloser=world.author,
            recipient=world.recipient,
            state="draft",
            scope=[Category.OBSERVATIONS],
        )
    with pytest.raises(ValidationError) as refused:
        refer(world, release=release)
    assert "release" in refused.value.message_dict


# --- deciding -----------------------------------------------------------------------------


def test_a_referral_cannot_be_accepted_before_its_release_is_active(newcomer):
    referral = refer(newcomer, release=newcomer.extra["release"])
    with pytest.raises(ValidationError, match="cannot be accepted yet"):
        services.referral_accept(referral=referral, actor=newcomer.recipient.user)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.PENDING
    assert not CareTeamMember.objects.filter(
        case=newcomer.extra["case"], clinician=newcomer.recipient
    ).exists()


def test_accepting_puts_the_prescriber_on_the_care_team(newcomer):
    referral = refer(newcomer)  # the clinic admin is asked for a release
    activate(newcomer)
    referral = services.referral_accept(referral=referral, actor=newcomer.recipient.user)
    assert referral.status == Referral.Status.ACCEPTED
    assert referral.decided_at is not None
    assert referral.release == newcomer.extra["release"]  # the release it came to rest on
    assert CareTeamMember.objects.filter(
        case=newcomer.extra["case"], clinician=newcomer.recipient, role_on_case="prescriber"
    ).exists()
    told = Notification.objects.get(recipient=newcomer.author.user, kind=Notification.Kind.REFERRAL)
    assert told.text == "Your referral was accepted"
    # The care team hears that a new reader joined (tests/accounts).
    assert Notification.objects.filter(
        recipient=newcomer.author.user, kind=Notification.Kind.CARE_TEAM
    ).exists()
    with pytest.raises(ValidationError, match="accepted already"):
        services.referral_accept(referral=referral, actor=newcomer.recipient.user)


def test_accepting_opens_a_case_when_the_patient_has_none_open(newcomer):
    referral = refer(newcomer)
    Case.objects.filter(pk=newcomer.extra["case"].pk).update(
        status=Case.Status.CLOSED, closed_on=newcomer.extra["case"].opened_on
    )
    activate(newcomer)
    referral = services.referral_accept(referral=referral, actor=newcomer.recipient.user)
    assert referral.case != newcomer.extra["case"]
    assert referral.case.status == Case.Status.OPEN
    team = set(referral.case.care_team.values_list("clinician", flat=True))
    assert team == {newcomer.author.pk, newcomer.recipient.pk}


def test_only_the_addressee_accepts_or_declines(newcomer):
    referral = refer(newcomer)
    activate(newcomer)
    with pytest.raises(PermissionDenied):
        services.referral_accept(referral=referral, actor=newcomer.colleague.user)
    with pytest.raises(PermissionDenied):
        services.referral_decline(referral=referral, actor=newcomer.author.user, reason="x")


def test_declining_needs_a_reason_and_tells_the_therapist(newcomer):
    referral = refer(newcomer)
    activate(newcomer)
    with pytest.raises(ValidationError):
        services.referral_decline(referral=referral, actor=newcomer.recipient.user, reason=" ")
    referral = services.referral_decline(
        referral=referral, actor=newcomer.recipient.user, reason="Synthetic: not my specialty"
    )
    assert referral.status == Referral.Status.DECLINED
    assert referral.decline_reason == "Synthetic: not my specialty"
    assert Notification.objects.filter(
        recipient=newcomer.author.user, text="Your referral was declined"
    ).exists()
    with pytest.raises(ValidationError):
        services.referral_accept(referral=referral, actor=newcomer.recipient.user)


def test_only_the_referrer_withdraws_a_pending_referral(newcomer):
    referral = refer(newcomer)
    with pytest.raises(PermissionDenied):
        services.referral_withdraw(referral=referral, actor=newcomer.recipient.user)
    referral = services.referral_withdraw(referral=referral, actor=newcomer.author.user)
    assert referral.status == Referral.Status.WITHDRAWN
    with pytest.raises(ValidationError):
        services.referral_withdraw(referral=referral, actor=newcomer.author.user)


# --- pages --------------------------------------------------------------------------------


def test_the_therapist_refers_through_the_form(newcomer, as_user):
    client = as_user(newcomer.author.user)
    patient = newcomer.extra["patient"]
    form = client.get(reverse("referrals:create"), {"patient": patient.pk})
    assert f"#{newcomer.extra['release'].pk}" in form.content.decode()
    response = client.post(
        reverse("referrals:create"),
        {
            "patient": patient.pk,
            "to_prescriber": newcomer.recipient.pk,
            "urgency": "soon",
            "reason": REASON,
            "observations": SEEN,
            "release": "",
        },
    )
    referral = Referral.objects.get()
    assert response["Location"] == reverse("referrals:detail", args=[referral.pk])
    assert referral.release_requested
    assert referral.urgency == "soon"


def test_the_form_shows_a_service_refusal(newcomer, as_user):
    refer(newcomer)
    response = as_user(newcomer.author.user).post(
        reverse("referrals:create"),
        {
            "patient": newcomer.extra["patient"].pk,
            "to_prescriber": newcomer.recipient.pk,
            "urgency": "routine",
            "reason": REASON,
        },
    )
    assert response.status_code == 200
    assert "already pending" in response.content.decode()


def test_before_the_release_the_prescriber_sees_only_that_a_referral_waits(newcomer, as_user):
    referral = refer(newcomer)
    client = as_user(newcomer.recipient.user)
    listing = client.get(reverse("referrals:list")).content.decode()
    assert f"Referral #{referral.pk}" in listing
    assert "Waiting for an information release" in listing
    assert "Referredperson" not in listing and REASON not in listing
    assert client.get(reverse("referrals:detail", args=[referral.pk])).status_code == 404
    response = client.post(reverse("referrals:accept", args=[referral.pk]), follow=True)
    assert "cannot be accepted yet" in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == Referral.Status.PENDING


def test_after_the_release_the_prescriber_reads_and_accepts(newcomer, as_user):
    referral = refer(newcomer)
    activate(newcomer)
    client = as_user(newcomer.recipient.user)
    page = client.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert REASON in page and SEEN in page
    assert "Accept and join the care team" in page
    response = client.post(reverse("referrals:accept", args=[referral.pk]))
    assert response["Location"] == reverse("messaging:thread", args=[newcomer.extra["case"].pk])


def test_the_prescriber_declines_through_the_page(newcomer, as_user):
    referral = refer(newcomer)
    activate(newcomer)
    client = as_user(newcomer.recipient.user)
    url = reverse("referrals:decline", args=[referral.pk])
    assert client.post(url, {"reason": ""}).status_code == 200
    client.post(url, {"reason": "Synthetic: better placed elsewhere"})
    referral.refresh_from_db()
    assert referral.status == Referral.Status.DECLINED
    page = as_user(newcomer.author.user).get(reverse("referrals:detail", args=[referral.pk]))
    assert "Synthetic: better placed elsewhere" in page.content.decode()


def test_the_clinic_admin_sees_waiting_referrals_without_clinical_text(newcomer, as_user):
    requested = refer(newcomer)
    other_patient = PatientFactory(clinic=newcomer.clinic, family_name="Secondwaiting")
    on_team(CaseFactory(patient=other_patient), newcomer.author)
    draft = make_release(
        admin=newcomer.clinic_admin.user,
        patient=other_patient,
        discloser=newcomer.author,
        recipient=newcomer.recipient,
        state="signed",
        scope=[Category.MESSAGES],
    )
    refer(newcomer, patient=other_patient, release=draft)
    waiting = selectors.referrals_waiting_for_release(newcomer.clinic.pk)
    assert [(w.pk, w.release_label) for w in waiting] == [
        (requested.pk, "Awaiting signature"),  # the newest release between the two
        (waiting[1].pk, "Signed"),
    ]
    client = as_user(newcomer.clinic_admin.user)
    page = client.get(reverse("referrals:waiting")).content.decode()
    assert "Referredperson" in page and "Secondwaiting" in page
    assert REASON not in page and SEEN not in page
    # The other clinic's admin sees none of it.
    other = as_user(newcomer.other_clinic_admin.user)
    assert "Referredperson" not in other.get(reverse("referrals:waiting")).content.decode()

    activate(newcomer)
    assert [w.pk for w in selectors.referrals_waiting_for_release(newcomer.clinic.pk)] == [
        waiting[1].pk
    ]


def test_the_waiting_page_query_count_does_not_grow(newcomer, as_user):
    refer(newcomer)
    client = as_user(newcomer.clinic_admin.user)
    url = reverse("referrals:waiting")
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for _ in range(10):
        patient = PatientFactory(clinic=newcomer.clinic)
        on_team(CaseFactory(patient=patient), newcomer.author)
        refer(newcomer, patient=patient)
    with CaptureQueriesContext(connection) as large:
        page = client.get(url).content.decode()
    # The first rests on the newcomer's draft release; the others have none yet.
    assert page.count("Open release") == 1
    assert page.count("Prepare a release") == 10
    assert len(large) == len(small)


def test_the_referral_list_query_count_does_not_grow(newcomer, as_user):
    activate(newcomer)
    refer(newcomer)
    client = as_user(newcomer.recipient.user)
    url = reverse("referrals:list")
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for _ in range(8):
        patient = PatientFactory(clinic=newcomer.clinic)
        on_team(CaseFactory(patient=patient), newcomer.author)
        make_release(
            admin=newcomer.clinic_admin.user,
            patient=patient,
            discloser=newcomer.author,
            recipient=newcomer.recipient,
            scope=[Category.MESSAGES],
        )
        refer(newcomer, patient=patient)
        waiting_patient = PatientFactory(clinic=newcomer.clinic)
        on_team(CaseFactory(patient=waiting_patient), newcomer.author)
        refer(newcomer, patient=waiting_patient)
    with CaptureQueriesContext(connection) as large:
        page = client.get(url).content.decode()
    assert page.count(REASON) == 9
    assert len(large) == len(small)


@pytest.mark.parametrize("patient", ["9" * 400, "0", "x"])
def test_a_bad_patient_parameter_leaves_the_form_unfilled(newcomer, as_user, patient):
    response = as_user(newcomer.author.user).get(reverse("referrals:create"), {"patient": patient})
    assert response.status_code == 200
