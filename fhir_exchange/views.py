"""FHIR R4 export (the patient page's "Export (FHIR)" and ``Patient/<id>/$everything``),
CareCollab's own code systems, and the import of medication lists.

The export holds what the signed-in user may read of the patient now: the patient is
fetched as the patient page fetches it (care team or the clinic's admin; 404, logged,
for anyone else), clinical records through the gate, and every read is recorded.
"""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from cases import selectors as case_selectors
from cases.access import role_required
from cases.models import Clinician

from . import codes, export, selectors, services
from .validation import validate_resource

Role = Clinician.Role
FHIR_JSON = "application/fhir+json; charset=utf-8"


def _fhir_response(data: dict, *, status: int = 200) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type=FHIR_JSON, status=status
    )
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
