"""Giving a scale, reading an assessment, a patient's trend and the not-improving list.
PHI is read only through releases.gate (via assessments.selectors)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from carecollab.entered_in_error import entered_in_error_page
from carecollab.posting import bind, run_service, submitted
from cases import selectors as case_selectors
from cases.access import clinician_required, prescriber_required
from cases.categories import Category
from releases import gate
from releases.selectors import readers_named, shared_with

from . import scales, selectors, services
from .forms import AssessmentForm
from .models import Assessment


def _scale_or_404(code: str) -> scales.Scale:
    try:
        return scales.get_scale(code)
    except LookupError:
        raise Http404("No such scale.") from None


@clinician_required
@require_http_methods(["GET", "POST"])
def assessment_create(request, patient_pk, scale):
    patient = case_selectors.access_patient_by_id(request.user, patient_pk)
    scale = _scale_or_404(scale)
    case = case_selectors.open_case_of_patient(patient)
    if case is None:
        raise Http404("No open case.")
    readers = readers_named(request.user, patient, Category.ASSESSMENTS)
    form = bind(AssessmentForm, request, scale=scale, readers=readers)
    if submitted(request, form) and (
        assessment := run_service(
            form,
            services.assessment_record,
            case=case,
            administered_by=request.user,
            **form.service_kwargs(),
        )
    ):
        messages.success(
            request,
            f"{scale.name} saved: {assessment.total} ({assessment.band}); "
            f"{shared_with(assessment, readers)}.",
        )
        return redirect(assessment)
    context = {
        "form": form,
        "patient": patient,
        "scale": scale,
        "scale_js": scale.client_data(),
        "readers": readers,
    }
    return render(request, "assessments/assessment_form.html", context)


@clinician_required
@require_GET
def assessment_detail(request, pk):
    assessment = selectors.assessment_for_user(request.user, pk)
    return render(request, "assessments/assessment_detail.html", {"assessment": assessment})


@clinician_required
@require_http_methods(["GET", "POST"])
def assessment_entered_in_error(request, pk):
    assessment = gate.get_own_for_user(request.user, Assessment, pk)
    return entered_in_error_page(
        request,
        services.assessment_mark_entered_in_error,
        record={"assessment": assessment},
        patient=assessment.case.patient,
        what=f"{assessment.given_on:%Y-%m-%d} · {assessment.scale} {assessment.total}",
        back=assessment.get_absolute_url(),
        consequence="It leaves the chart, the response and remission lines and the "
        "not-improving list.",
    )


@clinician_required
@require_GET
def patient_trend(request, patient_pk):
    patient = case_selectors.access_patient_by_id(request.user, patient_pk)
    found = selectors.trends_of_patient(request.user, patient)
    gate.record_reads(request.user, [*found.assessments, *found.changes])
    context = {"patient": patient, "trends": found.trends, "scales": scales.all_scales()}
    return render(request, "assessments/patient_trend.html", context)


@prescriber_required
@require_GET
def not_improving(request):
    rows = selectors.patients_not_improving(request.user)
    gate.record_reads(request.user, [obj for row in rows for obj in row.objects_read])
    return render(request, "assessments/not_improving.html", {"rows": rows})
