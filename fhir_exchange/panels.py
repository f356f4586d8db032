"""What the FHIR exchange adds to the patient page: its actions."""

from __future__ import annotations

from django.urls import reverse

from cases.extensions import Action
from cases.models import Clinician

Role = Clinician.Role


def patient_actions(request, patient) -> list[Action]:
    """Export for everyone who may open the patient page (a clinic admin's export holds
    no clinical record); import for the clinicians, who keep medication lists."""
    clinician = getattr(request.user, "clinician", None)
    if clinician is None:
        return []
    actions = [
        Action(
            label="Export (FHIR)",
            url=reverse("fhir:patient_export", args=[patient.pk]),
            order=80,
            download=True,
        )
    ]
    if clinician.role in (Role.PRESCRIBER, Role.THERAPIST):
        actions.append(
            Action(
                label="Import medications (FHIR)",
                url=reverse("fhir:import_upload", args=[patient.pk]),
                order=81,
            )
        )
    return actions
