"""What an export holds: everything the signed-in clinician may read of one patient now.

Clinical records are read only through the gate (``gate.visible`` per registered kind),
less what may never leave CareCollab: a row its kind declares not shared (a private
observation is psychotherapy material). The patient, the care team and the releases are
read as the patient page reads them. A fixed number of queries, whatever the record
holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet

from assessments.models import Assessment
from cases.models import CareTeamMember, Case, Clinician, Observation, Patient
from cases.selectors import patients_of_clinician
from medications.models import Medication, MedicationChange
from releases import gate
from releases import selectors as release_selectors
from releases.models import InformationRelease

from .models import MedicationImport

Kind = MedicationChange.Kind
# A fill changes the supply, not what the patient takes: it is not exported.
EXPORTED_CHANGE_KINDS = [
    Kind.START,
    Kind.INCREASE,
    Kind.DECREASE,
    Kind.SWITCH,
    Kind.STOP,
    Kind.UPDATE,
]


@dataclass
class PatientRecord:
    """One patient as one reader may see them now."""

    patient: Patient
    cases: list[Case]
    releases: list[InformationRelease]
    clinicians: dict[int, Clinician]  # by user id: everyone an exported row names
    medications: list[Medication] = field(default_factory=list)
    changes: list[MedicationChange] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    # observation id -> ids of the linked medications that are in this export
    observation_medications: dict[int, set[int]] = field(default_factory=dict)
    assessments: list[Assessment] = field(default_factory=list)

    @property
    def gated_rows(self) -> list:
        """Every row read through the gate: what the export records as read."""
        return [*self.medications, *self.changes, *self.observations, *self.assessments]

    def clinician_by_pk(self, pk: int | None) -> Clinician | None:
        return next((c for c in self.clinicians.values() if c.pk == pk), None)

    def changes_by_medication(self) -> dict[int, list[MedicationChange]]:
        """Each medication's changes, in date order."""
        grouped: dict[int, list[MedicationChange]] = {}
        for change in self.changes:
            grouped.setdefault(change.medication_id, []).append(change)
        return grouped


def exportable(user, model, queryset: QuerySet | None = None) -> QuerySet:
    """Rows of ``model`` the user may read now (the gate) that may leave CareCollab:
    never a row its kind declares not shared (private observations, private scores),
    not even to its own author."""
    return gate.visible(user, model, queryset).filter(gate.kind_of(model).shared_q())


def patient_record(user, patient: Patient) -> PatientRecord:
    """The patient as ``user`` may read them now (call with a patient from
    ``cases.selectors.access_patient_by_id``)."""
    with gate.read_scope():
        cases = list(
            Case.objects.filter(patient=patient)
            .prefetch_related(
                Prefetch(
                    "care_team",
                    queryset=CareTeamMember.objects.select_related("clinician__user").order_by(
                        "role_on_case", "pk"
                    ),
                )
            )
            .order_by("opened_on", "pk")
        )
        releases = list(release_selectors.releases_of_patient(patient).order_by("created_at"))
        record = PatientRecord(patient=patient, cases=cases, releases=releases, clinicians={})
        _read_clinical(user, record)
        _read_clinicians(record)
    return record


def _read_clinical(user, record: PatientRecord) -> None:
    patient = record.patient
    record.medications = list(
        exportable(
            user,
            Medication,
            Medication.objects.filter(patient=patient).select_related("patient", "formulary_entry"),
        ).order_by("start_date", "pk")
    )
    readable = [medication.pk for medication in record.medications]
    record.changes = list(
        exportable(
            user,
            MedicationChange,
            # A change entered in error changed no dose: the dose periods skip it.
            MedicationChange.objects.in_effect()
            .filter(medication_id__in=readable, kind__in=EXPORTED_CHANGE_KINDS)
            .select_related("medication__patient"),
        ).order_by("effective_on", "created_at", "pk")
    )
    record.observations = list(
        exportable(
            user,
            Observation,
            Observation.objects.filter(case__patient=patient).select_related("case__patient"),
        ).order_by("observed_on", "created_at", "pk")
    )
    links = Observation.medications.through.objects.filter(
        observation_id__in=[observation.pk for observation in record.observations],
        medication_id__in=readable,
    ).values_list("observation_id", "medication_id")
    for observation_id, medication_id in links:
        record.observation_medications.setdefault(observation_id, set()).add(medication_id)
    record.assessments = list(
        exportable(
            user,
            Assessment,
            Assessment.objects.filter(case__patient=patient).select_related("case__patient"),
        ).order_by("given_on", "created_at", "pk")
    )


def _read_clinicians(record: PatientRecord) -> None:
    """Everyone the export names: the care team, the releases' parties, and the authors
    and prescribers of the exported rows (one query for those not already at hand)."""
    known: dict[int, Clinician] = {}
    for case in record.cases:
        for member in case.care_team.all():
            known[member.clinician.user_id] = member.clinician
    for release in record.releases:
        for clinician in (release.recipient, release.discloser_clinician):
            if clinician is not None:
                known[clinician.user_id] = clinician
    wanted = {medication.recorded_by_id for medication in record.medications}
    wanted |= {change.author_id for change in record.changes}
    wanted |= {observation.author_id for observation in record.observations}
    wanted |= {assessment.administered_by_id for assessment in record.assessments}
    prescribers = {m.prescriber_id for m in record.medications if m.prescriber_id}
    known_pks = {clinician.pk for clinician in known.values()}
    missing_users = wanted - set(known)
    missing_pks = prescribers - known_pks
    if missing_users or missing_pks:
        for clinician in Clinician.objects.filter(
            Q(user_id__in=missing_users) | Q(pk__in=missing_pks)
        ).select_related("user"):
            known[clinician.user_id] = clinician
    record.clinicians = known


def access_import_by_id(user, pk):
    """A medication import preview the user uploaded, of a patient whose care team they
    are on; 404 (logged) alike for missing and anyone else's."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise gate.refuse(user, MedicationImport, pk, reason="bad id") from None
    preview = (
        MedicationImport.objects.filter(
            pk=pk, uploaded_by=user, patient__in=patients_of_clinician(user)
        )
        .select_related("patient")
        .first()
        if user.is_authenticated
        else None
    )
    if preview is None:
        raise gate.refuse(user, MedicationImport, pk)
    return preview
