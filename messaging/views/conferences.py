"""Case conferences: ask for one, agree on a time, record the outcome."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from carecollab.posting import bind, run_action, run_service, submitted
from cases.access import clinician_required

from .. import selectors, services
from ..forms import ConferenceRequestForm, OutcomeForm, ProposeTimeForm
from ..models import CaseConference


@clinician_required
@require_safe
def conference_list(request):
    conferences = list(selectors.conferences_visible_to(request.user)[:200])  # recorded
    upcoming = sorted((c for c in conferences if c.is_upcoming), key=lambda c: (c.when, c.pk))
    past = [c for c in conferences if not c.is_upcoming]
    return render(request, "messaging/conference_list.html", {"upcoming": upcoming, "past": past})


@clinician_required
@require_http_methods(["GET", "POST"])
def conference_request(request, case_pk):
    case = selectors.access_case_for_thread(request.user, case_pk)
    cannot_write = selectors.why_cannot_write(case, request.user)
    if request.method == "POST" and cannot_write:
        messages.error(request, cannot_write)
        return redirect("messaging:conference_request", case.pk)
    form = bind(ConferenceRequestForm, request)
    if submitted(request, form) and (
        conference := run_service(
            form,
            services.conference_request,
            case=case,
            requested_by=request.user,
            **form.cleaned_data,
        )
    ):
        messages.success(request, "Case conference requested. The care team is notified.")
        return redirect(conference)
    context = {"case": case, "patient": case.patient, "form": form, "cannot_write": cannot_write}
    return render(request, "messaging/conference_request.html", context)


def _actions(request, conference: CaseConference) -> dict:
    """What the user may do with the conference now (the services check again)."""
    cannot_write = selectors.why_cannot_write(conference.case, request.user)
    upcoming = conference.is_upcoming
    return {
        "cannot_write": cannot_write,
        "can_confirm": not cannot_write
        and conference.status == CaseConference.Status.REQUESTED
        and conference.proposed_by_id != request.user.pk
        and conference.proposed_at > timezone.now(),
        "can_propose": not cannot_write and upcoming,
        "can_record": not cannot_write
        and conference.status in (CaseConference.Status.SCHEDULED, CaseConference.Status.HELD),
        "can_cancel": upcoming and selectors.is_on_care_team(conference.case, request.user),
    }


@clinician_required
@require_safe
def conference_detail(request, pk):
    conference = selectors.conference_for_user(request.user, pk)
    outcomes = selectors.visible_outcomes(request.user, [conference]).get(conference.pk, [])
    context = {
        "conference": conference,
        "case": conference.case,
        "outcomes": outcomes,
        "own_outcome": any(outcome.author_id == request.user.pk for outcome in outcomes),
        **_actions(request, conference),
    }
    return render(request, "messaging/conference_detail.html", context)


@clinician_required
@require_POST
def conference_confirm(request, pk):
    conference = selectors.conference_for_user(request.user, pk)
    run_action(
        request,
        services.conference_confirm,
        conference=conference,
        actor=request.user,
        success="Conference scheduled. The care team is notified.",
    )
    return redirect(conference)


@clinician_required
@require_POST
def conference_cancel(request, pk):
    conference = selectors.conference_for_user(request.user, pk)
    run_action(
        request,
        services.conference_cancel,
        conference=conference,
        actor=request.user,
        success="Conference cancelled.",
    )
    return redirect(conference)


@clinician_required
@require_http_methods(["GET", "POST"])
def conference_propose(request, pk):
    conference = selectors.conference_for_user(request.user, pk)
    actions = _actions(request, conference)
    if request.method == "POST" and not actions["can_propose"]:
        messages.error(request, actions["cannot_write"] or "This conference's time is settled.")
        return redirect(conference)
    form = bind(ProposeTimeForm, request)
    if submitted(request, form) and run_service(
        form,
        services.conference_propose_time,
        conference=conference,
        actor=request.user,
        **form.cleaned_data,
    ):
        messages.success(request, "New time proposed. The care team is notified.")
        return redirect(conference)
    context = {"conference": conference, "form": form, **actions}
    return render(request, "messaging/conference_propose.html", context)


@clinician_required
@require_http_methods(["GET", "POST"])
def conference_outcome(request, pk):
    conference = selectors.conference_for_user(request.user, pk)
    actions = _actions(request, conference)
    if request.method == "POST" and not actions["can_record"]:
        reason = (
            actions["cannot_write"] or "Agree on a time first: only a scheduled conference is held."
        )
        messages.error(request, reason)
        return redirect(conference)
    own = selectors.own_outcome(request.user, conference)
    initial = {"billing_told": conference.billing_told, "outcome_notes": own.notes if own else ""}
    if conference.held_on:
        initial["held_on"] = conference.held_on
    form = bind(OutcomeForm, request, initial=initial)
    if submitted(request, form) and run_service(
        form,
        services.conference_record_outcome,
        conference=conference,
        actor=request.user,
        **form.cleaned_data,
    ):
        messages.success(request, "Outcome recorded.")
        return redirect(conference)
    context = {"conference": conference, "form": form, **actions}
    return render(request, "messaging/conference_outcome.html", context)
