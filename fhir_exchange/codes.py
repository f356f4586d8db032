"""The code systems the FHIR export and import use, in one place.

Standard systems first (LOINC, RxNorm, SNOMED CT, UCUM and HL7's own), then
CareCollab's own code systems for what no standard codes: the structured answers of an
observation, the severity bands of a rating scale and the categories a release covers.
Their canonical URLs are stable (they never change with the site's address), and each
site serves them at ``/fhir/CodeSystem/<id>``. Their concepts are built from the models'
choices and the scales' data, so a label has one home.
"""

from __future__ import annotations

from dataclasses import dataclass

from assessments import scales
from cases.categories import Category
from cases.models import Observation

LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
V2_IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
V3_ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
V3_PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
CONSENT_POLICY = "http://terminology.hl7.org/CodeSystem/consentpolicycodes"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
MEDICATION_STATEMENT_CATEGORY = (
    "http://terminology.hl7.org/CodeSystem/medication-statement-category"
)
RESOURCE_TYPES = "http://hl7.org/fhir/resource-types"

# The LOINC form of a scale, as FHIR questionnaires are named by LOINC.
LOINC_QUESTIONNAIRE = "http://loinc.org/q/{code}"

# 45 CFR 164.508: what an information release is, as a FHIR Consent policy.
HIPAA_AUTHORIZATION_URI = "https://www.ecfr.gov/current/title-45/section-164.508"

PROJECT_BASE = "https://carecollab.example.org/fhir"
OBSERVATION_ANSWERS = f"{PROJECT_BASE}/CodeSystem/observation-answers"
ASSESSMENT_BANDS = f"{PROJECT_BASE}/CodeSystem/assessment-bands"
RELEASE_CATEGORIES = f"{PROJECT_BASE}/CodeSystem/release-categories"

# SNOMED CT routes of administration (the FHIR "SNOMED CT Route Codes" value set). An
# injection does not say which route, so it is text only.
ROUTES = {
    "oral": ("26643006", "Oral route"),
    "sublingual": ("37839007", "Sublingual route"),
    "transdermal": ("45890007", "Transdermal route"),
    "nasal": ("46713006", "Nasal route"),
}

# What each release category holds, as FHIR resource types (Consent.provision.class).
CATEGORY_RESOURCES = {
    Category.MEDICATIONS: ["MedicationStatement"],
    Category.OBSERVATIONS: ["Observation"],
    Category.ASSESSMENTS: ["Observation", "QuestionnaireResponse"],
    Category.MESSAGES: ["Communication"],
}


def coding(system: str, code: str, display: str | None = None) -> dict:
    result = {"system": system, "code": code}
    if display:
        result["display"] = display
    return result


def concept(system: str, code: str, display: str, text: str | None = None) -> dict:
    """A CodeableConcept with one coding."""
    return {"coding": [coding(system, code, display)], "text": text or display}


def choice_code(prefix: str, value: str) -> str:
    """'adherence', 'missed_doses' -> 'adherence-missed-doses'."""
    return f"{prefix}-{value.replace('_', '-')}"


# --- CareCollab's own code systems ---------------------------------------------------

# Component codes of an observation, and the code of the observation itself.
OBSERVATION_CODE = ("medication-observation", "Observation of medication therapy")
COMPONENTS = {
    "adherence": "Adherence to the medication",
    "response": "Response since the last medication change",
    "attitude": "Attitude to medication",
    "attitude-notes": "About the patient's attitude",
    "side-effects": "Side effects",
    "question-for-prescriber": "Question for the prescriber",
    "evaluation-suggestion": "Suggested medical evaluation in another specialty",
}
# The answers a component codes, from the model's choices: (component, choices).
CODED_ANSWERS = [
    ("adherence", Observation.Adherence),
    ("response", Observation.Response),
    ("attitude", Observation.Attitude),
]


@dataclass(frozen=True)
class ProjectCodeSystem:
    id: str
    url: str
    name: str
    title: str
    description: str
    concepts: tuple[tuple[str, str, str], ...]  # (code, display, definition)

    def resource(self) -> dict:
        """The CodeSystem resource (FHIR R4)."""
        return {
            "resourceType": "CodeSystem",
            "id": self.id,
            "url": self.url,
            "version": "1",
            "name": self.name,
            "title": self.title,
            "status": "active",
            "experimental": False,
            "publisher": "CareCollab",
            "description": self.description,
            "caseSensitive": True,
            "content": "complete",
            "count": len(self.concepts),
            "concept": [
                {"code": code, "display": display, "definition": definition}
                for code, display, definition in self.concepts
            ],
        }


def _observation_answers() -> ProjectCodeSystem:
    concepts = [
        (
            OBSERVATION_CODE[0],
            OBSERVATION_CODE[1],
            "A clinician's structured observation of how a patient takes and responds to "
            "their medication (CareCollab's observation form).",
        )
    ]
    for code, display in COMPONENTS.items():
        concepts.append((code, display, f"Observation component: {display.lower()}."))
    for component, choices in CODED_ANSWERS:
        for value, label in choices.choices:
            concepts.append(
                (choice_code(component, value), label, f"An answer to '{COMPONENTS[component]}'.")
            )
    return ProjectCodeSystem(
        id="observation-answers",
        url=OBSERVATION_ANSWERS,
        name="CareCollabObservationAnswers",
        title="CareCollab observation questions and answers",
        description=(
            "The questions of CareCollab's observation of medication therapy (adherence, "
            "response since the last change, attitude, side effects, questions for the "
            "prescriber) and their coded answers, for which no standard code exists."
        ),
        concepts=tuple(concepts),
    )


def _assessment_bands() -> ProjectCodeSystem:
    ranges: dict[str, list[str]] = {}
    labels: dict[str, str] = {}
    for scale in scales.all_scales():
        for band in scale.bands:
            labels[band.key] = band.label
            ranges.setdefault(band.key, []).append(f"{scale.name} {band.low}-{band.high}")
    concepts = tuple(
        (key, labels[key], f"Severity band of a rating-scale total: {', '.join(spans)}.")
        for key, spans in ranges.items()
    )
    return ProjectCodeSystem(
        id="assessment-bands",
        url=ASSESSMENT_BANDS,
        name="CareCollabAssessmentBands",
        title="CareCollab severity bands of rating-scale totals",
        description="The published severity bands of the PHQ-9 and GAD-7 totals.",
        concepts=concepts,
    )


def _release_categories() -> ProjectCodeSystem:
    concepts = tuple(
        (
            value,
            label,
            f"{label} shared under an information release (FHIR: "
            f"{', '.join(CATEGORY_RESOURCES[Category(value)])}).",
        )
        for value, label in Category.choices
    )
    return ProjectCodeSystem(
        id="release-categories",
        url=RELEASE_CATEGORIES,
        name="CareCollabReleaseCategories",
        title="CareCollab information release categories",
        description=(
            "The kinds of information a CareCollab information release covers "
            "(psychotherapy notes are never among them)."
        ),
        concepts=concepts,
    )


def project_code_systems() -> dict[str, ProjectCodeSystem]:
    """CareCollab's own code systems by id."""
    systems = [_observation_answers(), _assessment_bands(), _release_categories()]
    return {system.id: system for system in systems}
