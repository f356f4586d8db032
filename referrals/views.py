"""Referrals for medication evaluation (the rules are in ``cases.referrals``)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from carecollab.forms import bound_data
from cases import referrals
from cases.access import (
    clinic_admin_required,
    clinician_required,
    prescriber_required,
    therapist_required,
)
from cases.models import Referral
from cases.selectors import patients_of_clinician
from releases import gate

from ..forms import DeclineForm, ReferralForm
from ._common import form_error, query_id


@clinician_required
@require_safe
def referral_list(request):
    visible = list(referrals.referrals_visible_to(request.user)[:300])
    gate.record_reads(request.user, visible)
    clinician = request.user.clinician
    context = {
        "to_decide": [
            r for r in visible if r.to_prescriber_id == clinician.pk and r.status == "pending"
        ],
        "made": [r for r in visible if r.referred_by_id == request.user.pk],
        "others": [
            r
            for r in visible
            if r.referred_by_id != request.user.pk
            and not (r.to_prescriber_id == clinician.pk and r.status == "pending")
        ],
        "awaiting": list(referrals.referrals_awaiting_release_for(request.user)),
    }
    return render(request, "messaging/referral_list.html", context)


def _patient_from_query(request, patients):
    pk = query_id(request, "patient")
    return patients.filter(pk=pk).first() if pk else None


@therapist_required
@require_http_methods(["GET", "POST"])
def referral_create(request):
    patients = patients_of_clinician(request.user).order_by("family_name", "given_name")
    chosen = _patient_from_query(request, patients)
    form = ReferralForm(
        bound_data(request)[0],
        patients=patients,
        prescribers=referrals.prescribers_of_clinic(request.user.clinician.clinic_id),
        releases=referrals.release_choices(request.user, patient=chosen),
        initial={"patient": chosen.pk} if chosen else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            referral = referrals.referral_create(referred_by=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            form_error(form, error)
        else:
            if referral.release_requested:
                messages.success(request, "Referral sent. The clinic admin is asked for a release.")
            else:
                messages.success(request, "Referral sent.")
            return redirect("messaging:referral_detail", referral.pk)
    return render(request, "messaging/referral_form.html", {"form": form, "patient": chosen})


@clinician_required
@require_safe
def referral_detail(request, pk):
    referral = referrals.referral_for_user(request.user, pk)
    clinician = request.user.clinician
    pending = referral.status == Referral.Status.PENDING
    context = {
        "referral": referral,
        "can_decide": pending and referral.to_prescriber_id == clinician.pk,
        "can_withdraw": pending and referral.referred_by_id == request.user.pk,
    }
    return render(request, "messaging/referral_detail.html", context)


@prescriber_required
@require_POST
def referral_accept(request, pk):
    # Fetched by addressee without reading it (nothing is shown): the service asks the
    # gate whether a release lets the prescriber read it, and says so plainly if not.
    referral = Referral.objects.filter(pk=pk, to_prescriber__user=request.user).first()
    if referral is None:
        raise gate.refuse(request.user, Referral, pk, reason="not the addressee")
    try:
        referral = referrals.referral_accept(referral=referral, actor=request.user)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        if gate.can_read(request.user, referral):
            return redirect("messaging:referral_detail", referral.pk)
        return redirect("messaging:referral_list")
    messages.success(request, "Referral accepted: you are on the care team.")
    return redirect("messaging:thread", referral.case_id)


@prescriber_required
@require_http_methods(["GET", "POST"])
def referral_decline(request, pk):
    referral = referrals.referral_for_user(request.user, pk)
    if referral.to_prescriber.user_id != request.user.pk:
        raise gate.refuse(request.user, Referral, pk, reason="not the addressee")
    form = DeclineForm(bound_data(request)[0])
    if request.method == "POST" and form.is_valid():
        try:
            referrals.referral_decline(
                referral=referral, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except (ValidationError, PermissionDenied) as error:
            form_error(form, error)
        else:
            messages.success(request, "Referral declined. The therapist is notified.")
            return redirect("messaging:referral_detail", referral.pk)
    return render(request, "messaging/referral_decline.html", {"referral": referral, "form": form})


@therapist_required
@require_POST
def referral_withdraw(request, pk):
    referral = gate.get_own_for_user(request.user, Referral, pk)
    try:
        referrals.referral_withdraw(referral=referral, actor=request.user)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, "Referral withdrawn.")
    return redirect("messaging:referral_detail", referral.pk)


@clinic_admin_required
@require_safe
def referral_waiting(request):
    """Referrals no active release covers yet: patient, who, since when, release state."""
    waiting = referrals.referrals_waiting_for_release(request.user.clinician.clinic_id)
    return render(request, "messaging/referral_waiting.html", {"referrals": waiting})
