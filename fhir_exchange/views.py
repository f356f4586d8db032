"""FHIR R4 export (the patient page's "Export (FHIR)" and ``Patient/<id>/$everything``),
CareCollab's own code systems, and the import of medication lists.

The export holds what the signed-in user may read of the patient now: the patient is
fetched as the patient page fetches it (care team or the clinic's admin; 404, logged,
for anyone else), clinical records through the gate, and every read is recorded.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from carecollab.posting import bind, run_service, submitted
from cases import selectors as case_selectors
from cases.access import role_required
from cases.models import Clinician

from . import codes, export, selectors, services
from .forms import ChooseForm, UploadForm
from .importing import Candidate
from .validation import validate_resource

Role = Clinician.Role
FHIR_JSON = "application/fhir+json; charset=utf-8"


def _fhir_response(data: dict, *, status: int = 200) -> HttpResponse:
    # Compact: the C encoder (an indented dump takes the slow path, 3x the time).
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    response = HttpResponse(body, content_type=FHIR_JSON, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _export(request, pk) -> tuple[HttpResponse, int]:
    patient = case_selectors.access_patient_by_id(request.user, pk)
    record = selectors.patient_record(request.user, patient)
    everything = reverse("fhir:everything", args=[patient.pk])
    base = request.build_absolute_uri(everything.removesuffix(f"Patient/{patient.pk}/$everything"))
    bundle = export.bundle_of(
        record, base_url=base, self_url=request.build_absolute_uri(everything)
    )
    services.export_record_reads(user=request.user, record=record)
    return _fhir_response(bundle), patient.pk


@role_required(Role.PRESCRIBER, Role.THERAPIST, Role.CLINIC_ADMIN)
@require_GET
def patient_everything(request, pk):
    """GET Patient/<id>/$everything: the searchset Bundle of the patient."""
    response, _ = _export(request, pk)
    return response


@role_required(Role.PRESCRIBER, Role.THERAPIST, Role.CLINIC_ADMIN)
@require_GET
def patient_export(request, pk):
    """The same Bundle as a file to download (the patient page's "Export (FHIR)")."""
    response, patient_pk = _export(request, pk)
    # The file name carries no name or MRN: a downloads folder is not a safe place.
    name = f"carecollab-patient-{patient_pk}-{timezone.localdate():%Y%m%d}.fhir.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_not_required
@require_GET
def code_system(request, system_id):
    """One of CareCollab's own code systems, as a CodeSystem resource (no PHI: public,
    so a receiving system can look the codes up)."""
    system = codes.project_code_systems().get(system_id)
    if system is None:
        raise Http404("No such code system.")
    resource = system.resource()
    validate_resource(resource)
    return _fhir_response(resource)


# --- import ------------------------------------------------------------------------------


@role_required(Role.PRESCRIBER, Role.THERAPIST)
@require_http_methods(["GET", "POST"])
def import_upload(request, pk):
    """Upload an EHR's medication list; the next page previews it."""
    patient = case_selectors.access_patient_by_id(request.user, pk)
    form = bind(UploadForm, request)
    if submitted(request, form):
        preview = run_service(
            form,
            services.medication_import_stage,
            patient=patient,
            uploaded_by=request.user,
            raw=form.cleaned_data["file"],
        )
        if preview is not None:
            return redirect(preview)
    context = {"form": form, "patient": patient, "max_kb": settings.FHIR_IMPORT_MAX_BYTES // 1024}
    return render(request, "fhir_exchange/import_upload.html", context)


@role_required(Role.PRESCRIBER, Role.THERAPIST)
@require_http_methods(["GET", "POST"])
def import_preview(request, pk):
    """What an uploaded list would add; the clinician chooses and confirms."""
    preview = selectors.access_import_by_id(request.user, pk)
    candidates = [Candidate.from_data(data) for data in preview.entries]
    waiting = preview.status == preview.Status.PREVIEW and not services.preview_expired(preview)
    form = ChooseForm(
        request.POST if request.method == "POST" and waiting else None,
        candidates=candidates,
        record_as=services.record_as_choices(request.user),
        check_patient=bool(preview.warnings),
    )
    added = None
    if waiting and submitted(request, form):
        added = run_service(
            form,
            services.medication_import_confirm,
            preview=preview,
            author=request.user,
            choices=form.cleaned_data["choices"],
            patient_checked=form.cleaned_data.get("patient_checked", False),
        )
        if added is not None:
            messages.success(request, f"{len(added)} medication(s) added to the list.")
            return redirect("cases:patient_detail", preview.patient_id)
    context = {
        "form": form,
        "preview": preview,
        "patient": preview.patient,
        "waiting": waiting,
        "closed": "" if waiting else _closed_message(preview),
        "choosable": sum(1 for c in candidates if c.choosable),
    }
    return render(request, "fhir_exchange/import_preview.html", context)


def _closed_message(preview) -> str:
    if preview.status == preview.Status.CONFIRMED:
        return "This list was already added to the medication list."
    return "This preview has expired: upload the file again."
