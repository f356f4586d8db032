"""The FHIR R4 resources of one patient record, as a searchset Bundle.

Pure mapping: :func:`bundle_of` takes a :class:`~fhir_exchange.selectors.PatientRecord`
(read through the gate) and returns the Bundle as plain JSON data, validated by
``fhir.resources`` (its R4B models; the resources used here are the same in R4 and R4B).

What each row becomes (README, "FHIR export", says the same for a reader):

- Patient: name, birth date, the MRN as an identifier (type MR, the clinic's MRN system).
- Practitioner: everyone named (care team, releases' parties, authors, prescribers).
- CareTeam: one per case, its members with their role on the case.
- Consent: one per release (see :func:`consent`).
- MedicationStatement: one per medication and dose period: a medication's dose changes
  split its life into periods, each with its own statement (``completed`` when a later
  dose replaced it; the last one ``active``, or ``stopped``). Changes' kinds, dates and
  reasons are notes of the period they begin or end.
- Observation (LOINC 44261-6 / 70274-6) and QuestionnaireResponse per PHQ-9 / GAD-7.
- Observation per shared clinical observation, its structured answers as components
  coded in CareCollab's ``observation-answers`` code system.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from html import escape

from django.conf import settings
from django.utils import timezone

from assessments.models import Assessment
from cases.categories import Category
from cases.models import CareTeamMember, Case, Clinician, Observation
from medications.models import Medication, MedicationChange
from releases.models import InformationRelease

from . import codes
from .selectors import PatientRecord
from .validation import validate_resource

Kind = MedicationChange.Kind
Status = InformationRelease.Status
DOSE_KINDS = (Kind.INCREASE, Kind.DECREASE)
END_KINDS = (Kind.STOP, Kind.SWITCH)


# --- small helpers -----------------------------------------------------------------


def _instant(value: dt.datetime) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _prune(value):
    """Drop empty strings, Nones and empty containers: FHIR has no empty values."""
    if isinstance(value, dict):
        pruned = {key: _prune(item) for key, item in value.items()}
        return {key: item for key, item in pruned.items() if item not in (None, "", [], {})}
    if isinstance(value, list):
        pruned = [_prune(item) for item in value]
        return [item for item in pruned if item not in (None, "", [], {})]
    if isinstance(value, str):
        return value.strip()
    return value


def patient_ref(record: PatientRecord) -> dict:
    return {"reference": f"Patient/{record.patient.pk}"}


def practitioner_ref(clinician: Clinician) -> dict:
    return {"reference": f"Practitioner/{clinician.pk}", "display": _name(clinician)}


def _name(clinician: Clinician) -> str:
    return clinician.user.get_full_name() or clinician.user.get_username()


def mrn_system(clinic) -> str:
    """The identifier system of the clinic's MRNs: the EHR's when the clinic set it."""
    return clinic.mrn_system or f"{settings.SITE_URL.rstrip('/')}/fhir/sid/clinic-{clinic.pk}-mrn"


# --- people --------------------------------------------------------------------------


def patient(record: PatientRecord) -> dict:
    person = record.patient
    return {
        "resourceType": "Patient",
        "id": str(person.pk),
        "identifier": [
            {
                "use": "usual",
                "type": codes.concept(
                    codes.V2_IDENTIFIER_TYPE, "MR", "Medical record number", "MRN"
                ),
                "system": mrn_system(person.clinic),
                "value": person.mrn,
            }
        ],
        "name": [
            {
                "use": "official",
                "family": person.family_name,
                "given": [person.given_name],
                "text": person.full_name,
            }
        ],
        "birthDate": _date(person.date_of_birth),
        "managingOrganization": {"display": person.clinic.name},
    }


def practitioner(clinician: Clinician) -> dict:
    user = clinician.user
    return {
        "resourceType": "Practitioner",
        "id": str(clinician.pk),
        "active": user.is_active,
        "name": [
            {
                "family": user.last_name,
                "given": [user.first_name] if user.first_name else [],
                "text": _name(clinician),
            }
        ],
        "qualification": [{"code": {"text": clinician.credential}}] if clinician.credential else [],
    }


def care_team(record: PatientRecord, case: Case) -> dict:
    members: list[CareTeamMember] = list(case.care_team.all())
    return {
        "resourceType": "CareTeam",
        "id": str(case.pk),
        "status": "active" if case.status == Case.Status.OPEN else "inactive",
        "name": f"Care team, case opened {case.opened_on:%Y-%m-%d}",
        "subject": patient_ref(record),
        "period": {"start": _date(case.opened_on), "end": _date(case.closed_on)},
        "participant": [
            {
                "role": [{"text": member.get_role_on_case_display()}],
                "member": practitioner_ref(member.clinician),
                "period": {"start": _date(member.joined_on)},
            }
            for member in members
        ],
    }


# --- releases --------------------------------------------------------------------------

CONSENT_CATEGORIES = [
    codes.concept(codes.LOINC, "59284-0", "Patient Consent"),
    codes.concept(codes.V3_ACT_CODE, "IDSCL", "information disclosure"),
]


def consent_status(release: InformationRelease, now: dt.datetime) -> str:
    """R4 Consent.status from the release's state: draft -> draft, signed (not yet
    active) -> proposed, active -> active (inactive once its end passed, before the sweep
    marks it), expired and revoked -> inactive (R4 has no 'revoked')."""
    if release.status == Status.DRAFT:
        return "draft"
    if release.status == Status.SIGNED:
        return "proposed"
    if release.status == Status.ACTIVE:
        ended = release.expires_at is not None and release.expires_at <= now
        return "inactive" if ended else "active"
    return "inactive"


def _release_end(release: InformationRelease) -> dt.datetime | None:
    if release.status == Status.REVOKED and release.ended_at:
        return release.ended_at
    return release.expires_at


def _party(clinician: Clinician | None, clinic) -> dict:
    if clinician is not None:
        return practitioner_ref(clinician)
    return {"type": "Organization", "display": f"All clinicians of {clinic.name}"}


def consent(record: PatientRecord, release: InformationRelease, now: dt.datetime) -> dict:
    """One Consent per release. Scope: consentscope patient-privacy; categories: LOINC
    59284-0 (Patient Consent) and v3 ActCode IDSCL (information disclosure); policy: a
    HIPAA authorization (consentpolicycodes hipaa-auth, 45 CFR 164.508); the discloser is
    the custodian (v3 ParticipationType CST) and the recipient the information
    recipient (IRCP), both ways for a mutual exchange; the categories in scope are the
    provision's classes (CareCollab's release categories and the FHIR resource types
    they hold); the period runs from the effective date to the end (expiry or
    revocation); dateTime is the signature date."""
    discloser = _party(release.discloser_clinician, release.discloser_clinic)
    recipient = practitioner_ref(release.recipient)
    custodian = codes.concept(codes.V3_PARTICIPATION_TYPE, "CST", "custodian")
    receiver = codes.concept(codes.V3_PARTICIPATION_TYPE, "IRCP", "information recipient")
    actors = [
        {"role": custodian, "reference": discloser},
        {"role": receiver, "reference": recipient},
    ]
    if release.mutual:
        actors += [
            {"role": custodian, "reference": recipient},
            {"role": receiver, "reference": discloser},
        ]
    classes = [
        codes.coding(codes.RELEASE_CATEGORIES, category, Category(category).label)
        for category in release.scope
    ]
    resource_types = sorted(
        {name for category in release.scope for name in codes.CATEGORY_RESOURCES[category]}
    )
    classes += [codes.coding(codes.RESOURCE_TYPES, name) for name in resource_types]
    if release.signer_relationship == InformationRelease.Relationship.SELF:
        performer = patient_ref(record)
    else:
        performer = {"type": "RelatedPerson", "display": "The patient's legal representative"}
    end = _release_end(release)
    return {
        "resourceType": "Consent",
        "id": str(release.pk),
        "text": {"status": "additional", "div": _consent_narrative(release)},
        "status": consent_status(release, now),
        "scope": codes.concept(codes.CONSENT_SCOPE, "patient-privacy", "Privacy Consent"),
        "category": CONSENT_CATEGORIES,
        "patient": patient_ref(record),
        "dateTime": _date(release.signed_on),
        "performer": [performer],
        "organization": [{"display": record.patient.clinic.name}],
        "policy": [{"uri": codes.HIPAA_AUTHORIZATION_URI}],
        "policyRule": codes.concept(codes.CONSENT_POLICY, "hipaa-auth", "HIPAA Authorization"),
        "provision": {
            "type": "permit",
            "period": {
                "start": _instant(release.effective_at),
                "end": _instant(end) if end else None,
            },
            "actor": actors,
            "action": [
                codes.concept(
                    "http://terminology.hl7.org/CodeSystem/consentaction", "disclose", "Disclose"
                )
            ],
            "purpose": [codes.coding(codes.V3_ACT_REASON, "TREAT", "treatment")],
            "class": classes,
        },
    }


def _consent_narrative(release: InformationRelease) -> str:
    """The release's free-text elements (purpose, expiration event), which FHIR codes
    nowhere else; escaped."""
    lines = [f"Information release: {escape(release.get_status_display())}"]
    lines.append(f"Purpose: {escape(release.purpose)}")
    if release.expiration_event:
        lines.append(f"Expires on the event: {escape(release.expiration_event)}")
    if release.status == Status.REVOKED:
        lines.append("Revoked by the patient")
    body = "".join(f"<p>{line}</p>" for line in lines)
    return f'<div xmlns="http://www.w3.org/1999/xhtml">{body}</div>'


# --- medications -----------------------------------------------------------------------


@dataclass
class DosePeriod:
    """One stretch of a medication at one dose: one MedicationStatement."""

    id: str
    start: dt.date
    end: dt.date | None
    strength: str
    directions: str
    status: str
    notes: list[str]

    def covers(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


def _split_dose(summary: str) -> tuple[str, str]:
    """'50 mg · 1 tablet in the morning · once daily' -> ('50 mg', '1 tablet ..., once
    daily'), as Medication.dose_summary writes it."""
    strength, *rest = summary.split(" · ")
    return strength, ", ".join(part for part in rest if part)


def _change_note(change: MedicationChange) -> str:
    text = f"{change.get_kind_display()} on {change.effective_on:%Y-%m-%d}"
    if change.kind == Kind.SWITCH and change.to_value:
        text += f" to {change.to_value}"
    if change.kind == Kind.UPDATE and change.to_value:
        text += f" ({change.from_value or '-'} -> {change.to_value})"
    if change.reason:
        text += f": {change.reason}"
    return text


def dose_periods(medication: Medication, changes: list[MedicationChange]) -> list[DosePeriod]:
    """Split a medication's life at its dose changes (the changes the reader may read,
    in date order). The dose before a change is that change's ``from_value``; the last
    period's is the medication's current dose."""
    doses = [change for change in changes if change.kind in DOSE_KINDS]
    start_change = next((c for c in changes if c.kind == Kind.START), None)
    end_change = next((c for c in reversed(changes) if c.kind in END_KINDS), None)
    stopped = medication.status == Medication.Status.STOPPED
    periods = []
    beginnings = [start_change, *doses]
    for index, began_by in enumerate(beginnings):
        last = index == len(doses)
        if last:
            strength = medication.strength
            directions = ", ".join(p for p in (medication.directions, medication.frequency) if p)
        else:
            strength, directions = _split_dose(doses[index].from_value)
        notes = [_change_note(began_by)] if began_by is not None else []
        if last:
            notes += [_change_note(c) for c in changes if c.kind == Kind.UPDATE]
            if end_change is not None:
                notes.append(_change_note(end_change))
        periods.append(
            DosePeriod(
                id=(
                    f"medication-change-{began_by.pk}"
                    if began_by is not None
                    else f"medication-{medication.pk}"
                ),
                start=medication.start_date if index == 0 else began_by.effective_on,
                end=(medication.stop_date if stopped else None)
                if last
                else doses[index].effective_on,
                strength=strength,
                directions=directions,
                status=("stopped" if stopped else "active") if last else "completed",
                notes=notes,
            )
        )
    return periods


def _medication_concept(medication: Medication, strength: str) -> dict:
    """The medication as text (name and strength), with its RxNorm ingredient code when
    the formulary states one."""
    text = f"{medication.name} {strength}".strip()
    entry = medication.formulary_entry
    if entry is not None and entry.rxnorm_rxcui:
        coding = codes.coding(codes.RXNORM, entry.rxnorm_rxcui, entry.generic_name)
        return {"coding": [coding], "text": text}
    return {"text": text}


def medication_statement(record: PatientRecord, medication: Medication, period: DosePeriod) -> dict:
    if medication.patient_reported:
        category = codes.concept(
            codes.MEDICATION_STATEMENT_CATEGORY, "patientspecified", "Patient Specified"
        )
        source = patient_ref(record)
    else:
        category = codes.concept(codes.MEDICATION_STATEMENT_CATEGORY, "community", "Community")
        prescriber = record.clinician_by_pk(medication.prescriber_id)
        source = practitioner_ref(prescriber) if prescriber else None
    notes = list(period.notes)
    if medication.prescribed_elsewhere_by:
        notes.insert(0, f"Prescribed by: {medication.prescribed_elsewhere_by}")
    route = codes.ROUTES.get(medication.route)
    dosage = {
        "text": period.directions,
        "route": (
            codes.concept(codes.SNOMED, *route, medication.get_route_display())
            if route
            else {"text": medication.get_route_display()}
        ),
    }
    return {
        "resourceType": "MedicationStatement",
        "id": period.id,
        "status": period.status,
        "category": category,
        "medicationCodeableConcept": _medication_concept(medication, period.strength),
        "subject": patient_ref(record),
        "effectivePeriod": {"start": _date(period.start), "end": _date(period.end)},
        "dateAsserted": _instant(medication.created_at),
        "informationSource": source,
        "note": [{"text": note} for note in notes],
        "dosage": [dosage],
    }


# --- observations and scores -----------------------------------------------------------


def _component(code: str, **value) -> dict:
    return {
        "code": codes.concept(codes.OBSERVATION_ANSWERS, code, codes.COMPONENTS[code]),
        **value,
    }


def _coded_answer(component: str, choices, value: str) -> dict:
    return _component(
        component,
        valueCodeableConcept=codes.concept(
            codes.OBSERVATION_ANSWERS, codes.choice_code(component, value), choices(value).label
        ),
    )


def observation(record: PatientRecord, obs: Observation, focus: list[str]) -> dict:
    components = []
    if obs.adherence:
        components.append(_coded_answer("adherence", Observation.Adherence, obs.adherence))
    if obs.response:
        components.append(_coded_answer("response", Observation.Response, obs.response))
    for attitude in obs.attitudes or []:
        components.append(_coded_answer("attitude", Observation.Attitude, attitude))
    for code, text in [
        ("attitude-notes", obs.attitude_notes),
        ("side-effects", obs.side_effects),
        ("question-for-prescriber", obs.question),
        ("evaluation-suggestion", obs.evaluation_suggestion),
    ]:
        if text.strip():
            components.append(_component(code, valueString=text))
    author = record.clinicians.get(obs.author_id)
    return {
        "resourceType": "Observation",
        "id": f"observation-{obs.pk}",
        "status": _status(obs, "final"),
        "category": [codes.concept(codes.OBSERVATION_CATEGORY, "therapy", "Therapy")],
        "code": codes.concept(codes.OBSERVATION_ANSWERS, *codes.OBSERVATION_CODE),
        "subject": patient_ref(record),
        "focus": [{"reference": f"MedicationStatement/{ident}"} for ident in focus],
        "effectiveDateTime": _date(obs.observed_on),
        "issued": _instant(obs.created_at),
        "performer": [practitioner_ref(author)] if author else [],
        "note": [{"text": obs.body}] if obs.body.strip() else [],
        "component": components,
    }


def _status(record, status: str) -> str:
    """FHIR's own status for a record marked entered in error (Observation and
    QuestionnaireResponse both have it), else ``status``."""
    return "entered-in-error" if record.is_entered_in_error else status


def assessment_resources(record: PatientRecord, assessment: Assessment) -> list[dict]:
    """The total as an Observation (LOINC total code, band as interpretation) and the
    answers as a QuestionnaireResponse (LOINC item and answer codes)."""
    scale = assessment.scale_def
    loinc = scale.loinc
    if loinc is None:
        return []
    band = scale.band_for(assessment.total)
    author = record.clinicians.get(assessment.administered_by_id)
    ident = f"assessment-{assessment.pk}"
    performer = [practitioner_ref(author)] if author else []
    score = {"value": assessment.total, "unit": "{score}", "system": codes.UCUM, "code": "{score}"}
    total = {
        "resourceType": "Observation",
        "id": ident,
        "status": _status(assessment, "final"),
        "category": [codes.concept(codes.OBSERVATION_CATEGORY, "survey", "Survey")],
        "code": codes.concept(codes.LOINC, *loinc.total),
        "subject": patient_ref(record),
        "effectiveDateTime": _date(assessment.given_on),
        "issued": _instant(assessment.created_at),
        "performer": performer,
        "valueQuantity": score,
        "interpretation": [codes.concept(codes.ASSESSMENT_BANDS, band.key, band.label)],
        "derivedFrom": [{"reference": f"QuestionnaireResponse/{ident}"}],
    }
    items = [
        {
            "linkId": code,
            "text": text,
            "answer": [
                {
                    "valueCoding": codes.coding(
                        codes.LOINC, loinc.answers[value], scale.option_label(value)
                    )
                }
            ],
        }
        for code, text, value in zip(loinc.items, scale.items, assessment.answers, strict=True)
    ]
    items.append(
        {
            "linkId": loinc.total[0],
            "text": f"{scale.name} total score",
            "answer": [{"valueInteger": assessment.total}],
        }
    )
    answers = {
        "resourceType": "QuestionnaireResponse",
        "id": ident,
        "questionnaire": codes.LOINC_QUESTIONNAIRE.format(code=loinc.panel[0]),
        "status": _status(assessment, "completed"),
        "subject": patient_ref(record),
        "authored": _date(assessment.given_on),
        "author": performer[0] if performer else None,
        "item": items,
    }
    return [total, answers]


# --- the bundle ------------------------------------------------------------------------


def resources_of(record: PatientRecord, *, now: dt.datetime | None = None) -> list[dict]:
    """Every resource of the record, in a reading order (people, releases, medications,
    scores, observations)."""
    now = now or timezone.now()
    resources = [patient(record)]
    resources += [practitioner(c) for c in sorted(record.clinicians.values(), key=lambda c: c.pk)]
    resources += [care_team(record, case) for case in record.cases if case.care_team.all()]
    resources += [consent(record, release, now) for release in record.releases]
    periods_of: dict[int, list[DosePeriod]] = {}
    changes = record.changes_by_medication()
    for medication in record.medications:
        periods = dose_periods(medication, changes.get(medication.pk, []))
        periods_of[medication.pk] = periods
        resources += [medication_statement(record, medication, p) for p in periods]
    for assessment in record.assessments:
        resources += assessment_resources(record, assessment)
    for obs in record.observations:
        focus = []
        for medication_id in sorted(record.observation_medications.get(obs.pk, ())):
            period = _period_on(periods_of.get(medication_id, []), obs.observed_on)
            if period is not None:
                focus.append(period.id)
        resources.append(observation(record, obs, focus))
    return [_prune(resource) for resource in resources]


def _period_on(periods: list[DosePeriod], day: dt.date) -> DosePeriod | None:
    """The dose period in effect on ``day`` (the nearest one when none is)."""
    if not periods:
        return None
    for period in periods:
        if period.covers(day):
            return period
    return periods[-1] if day >= periods[-1].start else periods[0]


def bundle_of(
    record: PatientRecord, *, base_url: str, self_url: str, now: dt.datetime | None = None
) -> dict:
    """The searchset Bundle of the record (the answer to Patient/$everything), every
    resource validated by fhir.resources."""
    now = now or timezone.now()
    base = base_url.rstrip("/") + "/"
    resources = resources_of(record, now=now)
    for resource in resources:
        validate_resource(resource)
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": _instant(now)},
        "type": "searchset",
        "timestamp": _instant(now),
        "total": len(resources),
        "link": [{"relation": "self", "url": self_url}],
        "entry": [
            {
                "fullUrl": f"{base}{resource['resourceType']}/{resource['id']}",
                "resource": resource,
                "search": {"mode": "match"},
            }
            for resource in resources
        ],
    }
