"""The FHIR export in the access matrix: ``Patient/<id>/$everything`` and the patient
page's download list exactly the clinical records the persona may read now (through the
gate), never a private one (not even to its author); anyone who may not open the
patient page gets a logged 404. An assessment has no free text: the export names it by
its resource id."""

from .table import Url


def patient(w, o):
    return [w.patient.pk]


def by_resource_id(obj, marker):
    return f'"assessment-{obj.pk}"'


URLS = [
    Url(name, kind, "list", patient, hides=("private",), **extra)
    for name in ("fhir:everything", "fhir:patient_export")
    for kind, extra in [
        ("observation", {}),
        ("medication", {}),
        ("medication change", {}),
        ("assessment", {"marker": by_resource_id}),
    ]
]

KINDS: dict = {}

NOT_PHI = {
    "fhir:code_system": "CareCollab's own FHIR code systems (codes and labels, no patient data)",
}
