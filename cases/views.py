"""Home pages, patients and observations. PHI is read only through releases.gate."""

import datetime as dt

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carecollab.entered_in_error import entered_in_error_page
from carecollab.posting import bind, next_url, run_action, run_service, submitted
from releases import gate
from releases import selectors as release_selectors

from . import extensions, selectors, services
from .access import clinician_required, role_required
from .categories import Category
from .forms import NoteForm
from .models import Clinician, Observation

Role = Clinician.Role
# The queue offers undo for UNDO seconds; the server accepts it a little longer (a slow
# network), and not after: an old review is history, not a slip of the finger.
UNDO = 8
UNDO_GRACE = 30

TIMELINE_FILTERS = {
    "": "Everything",
    "observations": "Observations",
    "changes": "Medication changes",
    "flagged": "Flagged",
}


@require_GET
def home(request):
    """Send each role to its own page."""
    clinician = selectors.clinician_of(request.user)
    if clinician is None:
        return render(request, "cases/home_norole.html")
    template = {
        Role.PRESCRIBER: "cases/home_prescriber.html",
        Role.THERAPIST: "cases/home_therapist.html",
        Role.CLINIC_ADMIN: "cases/home_clinic_admin.html",
    }[clinician.role]
    context = {"clinician": clinician, "panels": extensions.home_panels(request)}
    if clinician.is_clinic_admin:
        context["release_counts"] = release_selectors.release_counts_for_clinic(clinician.clinic_id)
    else:
        patients = selectors.patients_of_clinician(request.user).order_by(
            "family_name", "given_name"
        )
        context["patients"] = patients
    return render(request, template, context)


@role_required(Role.PRESCRIBER, Role.THERAPIST, Role.CLINIC_ADMIN)
@require_GET
def patient_list(request):
    clinician = request.user.clinician
    if clinician.is_clinic_admin:
        patients = selectors.patients_of_clinic(clinician.clinic_id)
    else:
        patients = selectors.patients_of_clinician(request.user)
    query = request.GET.get("q", "").strip()[:100]
    if query:
        patients = (
            patients.filter(family_name__icontains=query)
            | patients.filter(given_name__icontains=query)
            | patients.filter(mrn__iexact=query)
        )
    patients = list(patients.order_by("family_name", "given_name"))
    states = release_selectors.release_states([patient.pk for patient in patients])
    for patient in patients:
        patient.release_state = states[patient.pk]
    return render(request, "cases/patient_list.html", {"patients": patients, "query": query})


@role_required(Role.PRESCRIBER, Role.THERAPIST, Role.CLINIC_ADMIN)
@require_GET
def patient_detail(request, pk):
    patient = selectors.access_patient_by_id(request.user, pk)
    releases = list(release_selectors.releases_of_patient(patient, user=request.user))
    context = {
        "patient": patient,
        "care_team": selectors.care_team_of_patient(patient),
        "releases": releases,
        "actions": extensions.patient_actions(request, patient),
    }
    if not request.user.clinician.is_clinic_admin:
        timeline = extensions.timeline_for(request.user, patient)
        selectors.place_after_changes(timeline)
        # Every row the providers read through the gate is recorded by the gate (at the
        # end of the request), whatever the filter shows.
        shown = _filter_timeline(timeline, request.GET.get("show", ""))
        context.update(
            timeline=shown,
            show=request.GET.get("show", "") if request.GET.get("show") in TIMELINE_FILTERS else "",
            timeline_filters=TIMELINE_FILTERS,
            my_releases=_active_releases_of(request.user, releases),
            case=selectors.open_case_of_patient(patient),
            panels=extensions.patient_panels(request, patient),
        )
    return render(request, "cases/patient_detail.html", context)


def _filter_timeline(timeline, show: str):
    if show == "observations":
        return [entry for entry in timeline if entry.kind == "observation"]
    if show == "changes":
        return [entry for entry in timeline if entry.extra.get("shift") is not None]
    if show == "flagged":
        return [entry for entry in timeline if entry.flagged]
    return timeline


def _active_releases_of(user, releases) -> list:
    """The patient's releases in force now that the user is a party to (annotated by
    ``releases.selectors.releases_of_patient``, from the release QuerySet's rule)."""
    return [release for release in releases if release.in_force_for_user]


@clinician_required
@require_GET
def observation_list(request):
    observations = list(selectors.observations_visible_to(request.user)[:200])  # recorded
    return render(request, "cases/observation_list.html", {"observations": observations})


@clinician_required
@require_GET
def observation_detail(request, pk):
    observation = selectors.observation_for_user(request.user, pk)
    return render(
        request, "cases/observation_detail.html", {"observation": observation, "next": request.path}
    )


@clinician_required
@require_http_methods(["GET", "POST"])
def observation_create(request, patient_pk):
    patient = selectors.access_patient_by_id(request.user, patient_pk)
    case = selectors.open_case_of_patient(patient)
    if case is None:
        raise Http404("No open case.")
    medications = selectors.linkable_medications(request.user, patient)
    current = list(medications)  # read through the gate: recorded
    readers = release_selectors.readers_named(request.user, patient, Category.OBSERVATIONS)
    form = bind(
        NoteForm,
        request,
        medications=medications,
        preselect=_last_changed(current),
        writer_role=request.user.clinician.role,
        readers=readers,
    )
    if submitted(request, form) and (
        observation := run_service(
            form,
            services.observation_create,
            case=case,
            author=request.user,
            **_note_fields(form),
        )
    ):
        messages.success(
            request, f"Observation saved: {release_selectors.shared_with(observation, readers)}."
        )
        return redirect("cases:patient_detail", patient.pk)
    context = {
        "form": form,
        "patient": patient,
        "current_medications": current,
        "readers": readers,
    }
    return render(request, "cases/observation_form.html", context)


def _note_fields(form) -> dict:
    return {name: value for name, value in form.cleaned_data.items() if name != "confirm_unread"}


def _last_changed(medications) -> list:
    """The active medication changed most recently: what "the last change" is about."""
    active = [m for m in medications if m.status == "active" and m.last_change_on]
    if not active:
        return []
    return [max(active, key=lambda m: m.last_change_on)]


@clinician_required
@require_http_methods(["GET", "POST"])
def observation_edit(request, pk):
    observation = gate.get_own_for_user(request.user, Observation, pk)
    patient = observation.case.patient
    medications = selectors.linkable_medications(request.user, patient, observation=observation)
    readers = release_selectors.readers_named(request.user, patient, observation.category)
    form = bind(
        NoteForm,
        request,
        instance=observation,
        medications=medications,
        writer_role=request.user.clinician.role,
        readers=readers,
    )
    if submitted(request, form) and (
        updated := run_service(
            form,
            services.observation_update,
            observation=observation,
            author=request.user,
            **_note_fields(form),
        )
    ):
        messages.success(
            request, f"Observation updated: {release_selectors.shared_with(updated, readers)}."
        )
        return redirect(updated)
    context = {"form": form, "patient": patient, "observation": observation, "readers": readers}
    return render(request, "cases/observation_form.html", context)


@clinician_required
@require_POST
def observation_review(request, pk):
    """Mark one observation reviewed by the signed-in clinician. From the review queue's
    script (htmx request) it answers the row's replacement, with an undo button."""
    observation = gate.get_for_user(request.user, Observation, pk)
    done = run_action(
        request,
        services.observation_mark_reviewed,
        observation=observation,
        reviewer=request.user,
        success=f"Observation of {observation.observed_on:%Y-%m-%d} marked reviewed.",
    )
    if request.htmx:
        context = {"observation": observation, "done": done is not None, "undo_seconds": UNDO}
        return render(request, "cases/_review_done.html", context)
    return redirect(next_url(request, reverse("cases:observation_detail", args=[observation.pk])))


@clinician_required
@require_http_methods(["GET", "POST"])
def observation_entered_in_error(request, pk):
    observation = gate.get_own_for_user(request.user, Observation, pk)
    return entered_in_error_page(
        request,
        services.observation_mark_entered_in_error,
        record={"observation": observation},
        patient=observation.case.patient,
        what=f"Observation of {observation.observed_on:%Y-%m-%d}",
        back=observation.get_absolute_url(),
    )


@clinician_required
@require_POST
def observation_review_undo(request, pk):
    """Take back a review just made (within a few seconds): the observation waits again."""
    observation = gate.get_for_user(request.user, Observation, pk)
    undone = run_action(
        request,
        services.observation_review_undo,
        observation=observation,
        reviewer=request.user,
        within=dt.timedelta(seconds=UNDO_GRACE),
        success=f"Observation of {observation.observed_on:%Y-%m-%d} waits for review again.",
    )
    if request.htmx:
        return render(request, "cases/_review_message.html", {"ok": undone is not None})
    return redirect(next_url(request, reverse("cases:observation_detail", args=[observation.pk])))


@clinician_required
@require_GET
def observation_preview(request, pk):
    """One observation in full with what a reviewer weighs it against: the patient's
    current doses, latest scores and the release state (the review queue's preview; a
    page of its own without JavaScript). Every record shown is recorded as read."""
    observation = selectors.observation_for_user(request.user, pk)
    patient = observation.case.patient
    releases = list(release_selectors.releases_of_patient(patient, user=request.user))
    context = {
        "observation": observation,
        "patient": patient,
        "my_releases": _active_releases_of(request.user, releases),
        "panels": extensions.preview_panels(request, patient),
    }
    if request.htmx:
        return render(request, "cases/_observation_preview.html", context)
    return render(request, "cases/observation_preview.html", context)


@clinician_required
@require_POST
def patient_observations_review(request, patient_pk):
    """Mark reviewed the observations of one patient that were on the page (their ids are
    posted), so nothing that arrived since is marked unseen."""
    patient = selectors.access_patient_by_id(request.user, patient_pk)
    ids = [int(value) for value in request.POST.getlist("observation")[:1000] if value.isdigit()]
    observations = selectors.observations_to_review(request.user, patient=patient).filter(
        pk__in=ids
    )
    count = services.observation_mark_reviewed_many(
        observations=list(observations), reviewer=request.user
    )
    messages.success(request, f"{count} observation(s) marked reviewed.")
    if request.htmx:
        return render(request, "cases/_review_message.html", {"ok": True})
    return redirect(next_url(request, reverse("cases:patient_detail", args=[patient.pk])))
