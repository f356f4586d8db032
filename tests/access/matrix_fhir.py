"""The FHIR exchange in the access matrix.

Export: ``Patient/<id>/$everything`` and the patient page's download list exactly the
clinical records the persona may read now (through the gate), never a private one (not
even to its author); anyone who may not open the patient page gets a logged 404. An
assessment has no free text: the export names it by its resource id.

Import: the upload page is the care team's clinicians'; a preview is its uploader's
alone (the author here), 404 for everyone else.
"""

from pathlib import Path

from fhir_exchange import services

from .table import Url

SAMPLE = Path(__file__).resolve().parent.parent / "fhir" / "data" / "ehr-medication-statements.json"
CARE_TEAM_CLINICIANS = {"author", "recipient", "colleague", "other_category"}


def patient(w, o):
    return [w.patient.pk]


def staged(w, o):
    """A preview the author uploaded (staged once per world)."""
    if "fhir_import" not in w.extra:
        w.extra["fhir_import"] = services.medication_import_stage(
            patient=w.patient, uploaded_by=w.author.user, raw=SAMPLE.read_bytes()
        )
    return [w.extra["fhir_import"].pk]


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
] + [
    Url(
        "fhir:import_upload",
        "medication",
        "page",
        patient,
        allowed=lambda persona, state: persona in CARE_TEAM_CLINICIANS,
    ),
    Url(
        "fhir:import_preview",
        "medication",
        "page",
        staged,
        allowed=lambda persona, state: persona == "author",
    ),
]

KINDS: dict = {}

NOT_PHI = {
    "fhir:code_system": "CareCollab's own FHIR code systems (codes and labels, no patient data)",
}
