"""Reading a medication list exported by an EHR (FHIR R4 JSON) into candidate entries.

Accepted: a Bundle (any type: a searchset, a collection, a $everything answer) of
MedicationStatement and MedicationRequest resources (other resources in it are passed
over; Medication resources are read where a statement refers to one); one
MedicationStatement or MedicationRequest; or a JSON array of them. Each entry is
validated on its own by fhir.resources, so one broken entry says why and does not
hide the others. Pure: no database; matching to the formulary and the patient's list is
``imports.py``'s.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import asdict, dataclass, field

from django.utils import timezone

from . import codes
from .validation import InvalidResource, validate_resource

MEDICATION_TYPES = ("MedicationStatement", "MedicationRequest")
MAX_ENTRIES = 200
# EHR statuses of a medication that is taken now; anything else is history.
CURRENT_STATUSES = {
    "MedicationStatement": {"active", "intended", "on-hold"},
    "MedicationRequest": {"active", "on-hold", "draft"},
}
STRENGTH = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?)\s*(mg|mcg|g|ml|unt|units?|%)(?:\s*/\s*(\d+(?:\.\d+)?)?\s*(ml))?\b",
    re.IGNORECASE,
)
SNOMED_ROUTES = {code: route for route, (code, _display) in codes.ROUTES.items()}


class ImportFileError(ValueError):
    """The upload as a whole cannot be read (the message says why, for the person)."""


@dataclass
class Candidate:
    """One medication of the upload and what CareCollab would record from it."""

    index: int  # 1-based position among the medication entries of the upload
    source: str  # "MedicationStatement/abc" or "MedicationRequest (entry 3)"
    name: str = ""
    rxnorm: list[str] = field(default_factory=list)
    strength: str = ""
    directions: str = ""
    route: str = "oral"
    start_date: str = ""  # ISO date, or "" when the EHR gave none
    prescriber: str = ""
    ehr_status: str = ""
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Set by the matching (imports.py).
    formulary_id: int | None = None
    formulary_name: str = ""
    controlled_schedule: str = ""

    @property
    def choosable(self) -> bool:
        return not self.problems

    def as_data(self) -> dict:
        return asdict(self)

    @classmethod
    def from_data(cls, data: dict) -> Candidate:
        known = set(cls.__dataclass_fields__)
        return cls(**{key: value for key, value in data.items() if key in known})


def load_json(raw: bytes):
    """The upload as JSON, or ImportFileError saying what is wrong with it."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            "The file is not text: upload the JSON file the EHR exported."
        ) from None
    if "\x00" in text:
        raise ImportFileError("The file is not text: upload the JSON file the EHR exported.")
    try:
        return json.loads(text)
    except RecursionError:
        raise ImportFileError("The file nests too deeply to be a FHIR export.") from None
    except ValueError as error:
        position = getattr(error, "lineno", None)
        where = f" (line {position})" if position else ""
        raise ImportFileError(f"The file is not valid JSON{where}.") from None


def medication_entries(data) -> tuple[list[tuple[str, dict]], dict[str, dict]]:
    """(label, resource) of each medication entry, and the Medication resources of the
    upload by the references that may point at them."""
    medications: dict[str, dict] = {}
    if isinstance(data, list):
        items = [(f"item {n}", item, None) for n, item in enumerate(data, 1)]
    elif isinstance(data, dict) and data.get("resourceType") == "Bundle":
        entries = data.get("entry") or []
        if not isinstance(entries, list):
            raise ImportFileError("The Bundle's entries are not a list: it is not FHIR.")
        items = []
        for n, entry in enumerate(entries, 1):
            resource = entry.get("resource") if isinstance(entry, dict) else None
            full_url = entry.get("fullUrl") if isinstance(entry, dict) else None
            items.append((f"entry {n}", resource, full_url))
    elif isinstance(data, dict) and data.get("resourceType") in MEDICATION_TYPES:
        items = [("the file", data, None)]
    else:
        raise ImportFileError(
            "This is not a FHIR medication list: upload a Bundle, a MedicationStatement, "
            "a MedicationRequest, or a JSON list of them."
        )
    found = []
    for label, resource, full_url in items:
        kind = resource.get("resourceType") if isinstance(resource, dict) else None
        if kind == "Medication":
            try:
                validate_resource(resource)
            except InvalidResource:
                continue  # a statement that refers to it says it names no medication
            ident = resource.get("id")
            if isinstance(ident, str):
                medications[f"Medication/{ident}"] = resource
            if isinstance(full_url, str):
                medications[full_url] = resource
        elif kind in MEDICATION_TYPES or not isinstance(resource, dict) or not kind:
            # An entry without a resource or a type is reported, not passed over.
            found.append((label, resource))
    if not found:
        raise ImportFileError(
            "The file holds no MedicationStatement or MedicationRequest: nothing to import."
        )
    if len(found) > MAX_ENTRIES:
        raise ImportFileError(f"The file lists more than {MAX_ENTRIES} medications.")
    return found, medications


def read_upload(raw: bytes, *, today: dt.date | None = None) -> tuple[list[Candidate], list]:
    """The candidates of an upload, each with its problems (not matched yet), and the
    Patient resources the file holds (to check it is this patient's list)."""
    data = load_json(raw)
    entries, medications = medication_entries(data)
    today = today or timezone.localdate()
    candidates = [
        _candidate(n, label, resource, medications, today)
        for n, (label, resource) in enumerate(entries, 1)
    ]
    return candidates, file_patients(data)


def file_patients(data) -> list[dict]:
    """The valid Patient resources of an uploaded Bundle."""
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        return []
    found = []
    for entry in data.get("entry") or []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and resource.get("resourceType") == "Patient":
            try:
                validate_resource(resource)
            except InvalidResource:
                continue
            found.append(resource)
    return found[:5]


def other_patient_warnings(patient, resources: list[dict]) -> list[str]:
    """Why a file's Patient looks like someone else than ``patient`` (another birth
    date or family name, unless the MRN matches): an EHR list of the wrong patient must
    not slip onto this one."""
    warnings = []
    for resource in resources:
        mrns = {i.get("value") for i in resource.get("identifier") or [] if isinstance(i, dict)}
        if patient.mrn in mrns:
            continue
        differs = []
        born = resource.get("birthDate")
        if born and born != patient.date_of_birth.isoformat():
            differs.append(f"born {born}")
        families = {(n.get("family") or "").strip() for n in resource.get("name") or []} - {""}
        if families and patient.family_name.strip().lower() not in {f.lower() for f in families}:
            differs.append(f"named {sorted(families)[0]}")
        if differs:
            warnings.append(
                f"The file's patient ({', '.join(differs)}) does not look like this patient: "
                "check that you uploaded this patient's list."
            )
    return warnings


def _candidate(index, label, resource, medications, today) -> Candidate:
    kind = resource.get("resourceType") if isinstance(resource, dict) else None
    ident = resource.get("id") if isinstance(resource, dict) else None
    source = (
        f"{kind}/{ident}" if kind and isinstance(ident, str) else f"{kind or 'Entry'} ({label})"
    )
    candidate = Candidate(index=index, source=source[:120])
    try:
        validate_resource(resource)
    except InvalidResource as error:
        candidate.problems.append("Not valid FHIR R4: " + "; ".join(error.problems[:3]))
        return candidate
    if kind not in MEDICATION_TYPES:
        candidate.problems.append("Not a MedicationStatement or MedicationRequest.")
        return candidate
    _read_medication(candidate, resource, medications)
    _read_dosage(candidate, resource)
    _read_dates_and_people(candidate, resource, today)
    candidate.ehr_status = resource.get("status", "")
    if candidate.ehr_status not in CURRENT_STATUSES[kind]:
        candidate.problems.append(
            f"The EHR lists it as {candidate.ehr_status}: it is not taken now, so there is "
            "nothing to add."
        )
    if not candidate.name:
        candidate.problems.append("The entry does not name the medication.")
    return candidate


def _concept_name(concept: dict | None) -> tuple[str, list[str]]:
    if not isinstance(concept, dict):
        return "", []
    codings = [c for c in concept.get("coding") or [] if isinstance(c, dict)]
    rxnorm = [c["code"] for c in codings if c.get("system") == codes.RXNORM and c.get("code")]
    name = concept.get("text") or next((c["display"] for c in codings if c.get("display")), "")
    return " ".join(str(name).split())[:120], rxnorm


def _read_medication(candidate: Candidate, resource: dict, medications: dict) -> None:
    concept = resource.get("medicationCodeableConcept")
    reference = (resource.get("medicationReference") or {}).get("reference")
    if concept is None and isinstance(reference, str):
        target = None
        if reference.startswith("#"):
            target = next(
                (
                    c
                    for c in resource.get("contained") or []
                    if isinstance(c, dict) and c.get("id") == reference[1:]
                ),
                None,
            )
        else:
            target = medications.get(reference)
        if target is None:
            display = (resource.get("medicationReference") or {}).get("display") or ""
            concept = {"text": display} if display else None
        else:
            concept = target.get("code")
    candidate.name, candidate.rxnorm = _concept_name(concept)
    match = STRENGTH.search(candidate.name)
    if match:
        candidate.strength = _strength(match)


def _strength(match: re.Match) -> str:
    amount, unit, per, per_unit = match.groups()
    unit = {"ml": "mL", "unt": "units", "unit": "units"}.get(unit.lower(), unit.lower())
    text = f"{amount} {unit}"
    if per_unit:
        text += f"/{per + ' ' if per else ''}mL"
    return text


def _read_dosage(candidate: Candidate, resource: dict) -> None:
    dosages = resource.get("dosage") or resource.get("dosageInstruction") or []
    dosage = dosages[0] if dosages else {}
    text = dosage.get("text") or dosage.get("patientInstruction") or ""
    if not text:
        dose = ((dosage.get("doseAndRate") or [{}])[0] or {}).get("doseQuantity") or {}
        timing = ((dosage.get("timing") or {}).get("code") or {}).get("text") or ""
        if dose.get("value") is not None:
            text = f"{dose['value']} {dose.get('unit', '')} {timing}".strip()
    candidate.directions = " ".join(str(text).split())[:200]
    route = dosage.get("route") or {}
    for coding in route.get("coding") or []:
        if coding.get("system") == codes.SNOMED and coding.get("code") in SNOMED_ROUTES:
            candidate.route = SNOMED_ROUTES[coding["code"]]
            break
    else:
        if route:
            candidate.route = "other"
    if not candidate.directions:
        candidate.problems.append("The entry gives no dose or directions: add it by hand.")
    if not candidate.strength:
        candidate.problems.append("The entry does not say the strength: add it by hand.")


def _date_of(value) -> dt.date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None  # a year or a month alone is not a start date
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _read_dates_and_people(candidate: Candidate, resource: dict, today: dt.date) -> None:
    if resource["resourceType"] == "MedicationStatement":
        started = _date_of((resource.get("effectivePeriod") or {}).get("start")) or _date_of(
            resource.get("effectiveDateTime")
        )
        who = (resource.get("informationSource") or {}).get("display") or ""
    else:
        validity = (resource.get("dispenseRequest") or {}).get("validityPeriod") or {}
        started = _date_of(resource.get("authoredOn")) or _date_of(validity.get("start"))
        who = (resource.get("requester") or {}).get("display") or ""
    if started and started > today:
        candidate.problems.append(f"It starts in the future ({started:%Y-%m-%d}).")
    candidate.start_date = started.isoformat() if started else ""
    if not started:
        candidate.notes.append("No start date in the EHR: today's date is recorded.")
    candidate.prescriber = " ".join(str(who).split())[:120]
