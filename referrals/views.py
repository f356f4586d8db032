"""Referral pages: refer, decide, withdraw, and the clinic admin's waiting list (the
rules are in ``referrals.services``)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from carecollab.posting import bind, query_id, run_action, run_service, submitted
from cases.access import (
    clinic_admin_required,
    clinician_required,
    prescriber_required,
    therapist_required,
)
from cases.selectors import patients_of_clinician
from releases import gate

from . import selectors, services
from .forms import DeclineForm, ReferralForm
from .models import Referral


@clinician_required
@require_safe
def referral_list(request):
    visible = list(selectors.referrals_visible_to(request.user)[:300])
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
        "awaiting": list(selectors.referrals_awaiting_release_for(request.user)),
    }
    return render(request, "referrals/referral_list.html", context)


def _patient_from_query(request, patients):
    pk = query_id(request, "patient")
    return patients.filter(pk=pk).first() if pk else None


@therapist_required
@require_http_methods(["GET", "POST"])
def referral_create(request):
    patients = patients_of_clinician(request.user).order_by("family_name", "given_name")
    chosen = _patient_from_query(request, patients)
    form = bind(
        ReferralForm,
        request,
        patients=patients,
        prescribers=selectors.prescribers_of_clinic(request.user.clinician.clinic_id),
        releases=selectors.release_choices(request.user, patient=chosen),
        initial={"patient": chosen.pk} if chosen else None,
    )
    if submitted(request, form) and (
        referral := run_service(
            form, services.referral_create, referred_by=request.user, **form.cleaned_data
        )
    ):
        if referral.release_requested:
            messages.success(request, "Referral sent. The clinic admin is asked for a release.")
        else:
            messages.success(request, "Referral sent.")
        return redirect("referrals:detail", referral.pk)
    return render(request, "referrals/referral_form.html", {"form": form, "patient": chosen})


@clinician_required
@require_safe
def referral_detail(request, pk):
    referral = selectors.referral_for_user(request.user, pk)
    clinician = request.user.clinician
    pending = referral.status == Referral.Status.PENDING
    context = {
        "referral": referral,
        "can_decide": pending and referral.to_prescriber_id == clinician.pk,
        "can_withdraw": pending and referral.referred_by_id == request.user.pk,
    }
    return render(request, "referrals/referral_detail.html", context)


@prescriber_required
@require_POST
def referral_accept(request, pk):
    # Fetched by addressee without reading it (nothing is shown): the service asks the
    # gate whether a release lets the prescriber read it, and says so plainly if not.
    referral = Referral.objects.filter(pk=pk, to_prescriber__user=request.user).first()
    if referral is None:
        raise gate.refuse(request.user, Referral, pk, reason="not the addressee")
    accepted = run_action(
        request,
        services.referral_accept,
        referral=referral,
        actor=request.user,
        success="Referral accepted: you are on the care team.",
    )
    if accepted:
        return redirect("messaging:thread", accepted.case_id)
    if gate.can_read(request.user, referral):
        return redirect("referrals:detail", referral.pk)
    return redirect("referrals:list")


@prescriber_required
@require_http_methods(["GET", "POST"])
def referral_decline(request, pk):
    referral = selectors.referral_for_user(request.user, pk)
    if referral.to_prescriber.user_id != request.user.pk:
        raise gate.refuse(request.user, Referral, pk, reason="not the addressee")
    form = bind(DeclineForm, request)
    if submitted(request, form) and run_service(
        form,
        services.referral_decline,
        referral=referral,
        actor=request.user,
        reason=form.cleaned_data["reason"],
    ):
        messages.success(request, "Referral declined. The therapist is notified.")
        return redirect("referrals:detail", referral.pk)
    return render(request, "referrals/referral_decline.html", {"referral": referral, "form": form})


@therapist_required
@require_POST
def referral_withdraw(request, pk):
    referral = gate.get_own_for_user(request.user, Referral, pk)
    run_action(
        request,
        services.referral_withdraw,
        referral=referral,
        actor=request.user,
        success="Referral withdrawn.",
    )
    return redirect("referrals:detail", referral.pk)


@clinic_admin_required
@require_safe
def referral_waiting(request):
    """Referrals no active release covers yet: patient, who, since when, release state."""
    waiting = selectors.referrals_waiting_for_release(request.user.clinician.clinic_id)
    return render(request, "referrals/referral_waiting.html", {"referrals": waiting})
