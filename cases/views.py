"""Home pages, patients and observations. PHI is read only through releases.gate."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from releases import gate
from releases import selectors as release_selectors

from . import extensions, selectors, services
from .access import clinician_required, role_required
from .forms import NoteForm
from .models import Clinician, ProgressNote

Role = Clinician.Role


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
    patients = patients.order_by("family_name", "given_name")
    return render(request, "cases/patient_list.html", {"patients": patients, "query": query})


@role_required(Role.PRESCRIBER, Role.THERAPIST, Role.CLINIC_ADMIN)
def patient_detail(request, pk):
    patient = selectors.access_patient_by_id(request.user, pk)
    context = {
        "patient": patient,
        "care_team": selectors.care_team_of_patient(patient),
        "releases": release_selectors.releases_of_patient(patient),
    }
    if not request.user.clinician.is_clinic_admin:
        timeline = extensions.timeline_for(request.user, patient)
        gate.record_reads(request.user, [entry.obj for entry in timeline if entry.obj])
        context["timeline"] = timeline
        context["panels"] = extensions.patient_panels(request, patient)
    return render(request, "cases/patient_detail.html", context)


@clinician_required
def note_list(request):
    notes = list(selectors.notes_visible_to(request.user)[:200])
    gate.record_reads(request.user, notes)
    return render(request, "cases/note_list.html", {"notes": notes})


@clinician_required
def note_detail(request, pk):
    note = selectors.note_for_user(request.user, pk)
    return render(request, "cases/note_detail.html", {"note": note})


@clinician_required
@require_http_methods(["GET", "POST"])
def note_create(request, patient_pk):
    patient = selectors.access_patient_by_id(request.user, patient_pk)
    case = selectors.open_case_of_patient(patient)
    if case is None:
        raise Http404("No open case.")
    form = NoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            note = services.note_create(case=case, author=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Observation saved.")
            return redirect(note)
    return render(request, "cases/note_form.html", {"form": form, "patient": patient})


@clinician_required
@require_http_methods(["GET", "POST"])
def note_edit(request, pk):
    note = gate.get_own_for_user(request.user, ProgressNote, pk)
    form = NoteForm(request.POST or None, instance=note)
    if request.method == "POST" and form.is_valid():
        try:
            services.note_update(note=note, author=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Observation updated.")
            return redirect(note)
    return render(
        request, "cases/note_form.html", {"form": form, "patient": note.case.patient, "note": note}
    )
