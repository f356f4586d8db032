"""Reads of medication lists, their changes and refill requests, through the gate."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Subquery, Window
from django.utils import timezone

from cases import selectors as case_selectors
from cases.extensions import TimelineEntry
from cases.models import Case, Clinician, Observation, ObservationReview, Patient
from releases import gate
from releases.selectors import NO_RELEASE, ReleaseState, release_states

from .models import Medication, MedicationChange, PlannedStep, RefillRequest

Kind = MedicationChange.Kind
# Changes after which a shift in the patient is looked for (a fill or an update of the
# details is not one).
SHIFT_KINDS = (Kind.START, Kind.INCREASE, Kind.DECREASE, Kind.SWITCH, Kind.STOP)


# --- medications ----------------------------------------------------------------------


def medications_visible_to(user, *, patient: Patient | None = None) -> QuerySet[Medication]:
    """Medications the user may read now, active first, with their joins."""
    queryset = Medication.objects.select_related("patient", "prescriber__user")
    if patient is not None:
        queryset = queryset.filter(patient=patient)
    return gate.visible(user, Medication, queryset).order_by("status", "name")


def current_medications(user, patient: Patient) -> QuerySet[Medication]:
    """The patient's active medications the user may read, each with
    ``has_open_request`` (an open refill request the user may read) and
    ``last_change_on`` (the latest start, dose change or switch the user may read)."""
    open_requests = gate.visible(
        user,
        RefillRequest,
        RefillRequest.objects.filter(medication=OuterRef("pk"), status=RefillRequest.Status.OPEN),
    )
    last_change = (
        gate.visible(
            user,
            MedicationChange,
            MedicationChange.objects.in_effect().filter(
                Q(medication=OuterRef("pk")) | Q(switched_to=OuterRef("pk")),
                kind__in=SHIFT_KINDS,
            ),
        )
        .order_by("-effective_on", "-created_at")
        .values("effective_on")[:1]
    )
    return (
        medications_visible_to(user, patient=patient)
        .filter(status=Medication.Status.ACTIVE)
        .annotate(has_open_request=Exists(open_requests), last_change_on=Subquery(last_change))
    )


def medication_for_user(user, pk) -> Medication:
    """One medication the user may read (404 alike for missing and hidden); read recorded."""
    queryset = Medication.objects.select_related("patient__clinic", "prescriber__user")
    return gate.read_one(user, Medication, pk, queryset=queryset)


# --- changes ----------------------------------------------------------------------------


def changes_visible_to(
    user, *, patient: Patient | None = None, medication: Medication | None = None
) -> QuerySet[MedicationChange]:
    """Medication changes the user may read now, newest first, with their joins."""
    queryset = MedicationChange.objects.select_related(
        "medication__patient", "switched_to", "author__clinician"
    )
    if patient is not None:
        queryset = queryset.filter(medication__patient=patient)
    if medication is not None:
        queryset = queryset.filter(Q(medication=medication) | Q(switched_to=medication))
    return gate.visible(user, MedicationChange, queryset).order_by("-effective_on", "-created_at")


def medications_named_by(user, changes) -> list[Medication]:
    """The medications a list of changes names (a change shows its medication's name),
    read through the gate so that showing them is recorded as reading them."""
    ids = {c.medication_id for c in changes} | {
        c.switched_to_id for c in changes if c.switched_to_id
    }
    if not ids:
        return []
    return list(gate.visible(user, Medication, Medication.objects.filter(pk__in=ids)))


def change_label(change: MedicationChange) -> str:
    """'Sertraline: dose increased to 100 mg' (PHI: for pages only, never for logs)."""
    name = change.medication.name
    strength = change.to_value.split(" · ")[0] if change.to_value else ""
    if change.kind == Kind.SWITCH and change.switched_to_id:
        return f"{name} switched to {change.switched_to.name}"
    if change.kind in (Kind.INCREASE, Kind.DECREASE) and strength:
        return f"{name}: {change.get_kind_display().lower()} to {strength}"
    if change.kind == Kind.START and strength:
        return f"{name} started at {strength}"
    return f"{name}: {change.get_kind_display().lower()}"


def medication_timeline(user, patient: Patient) -> list[TimelineEntry]:
    """The patient's medication changes the user may read, as timeline entries. Starts,
    dose changes, switches and stops are marked as shifts (``extra["shift"]``), so the
    patient page can show how long after one each observation was made."""
    return [_change_entry(change) for change in changes_visible_to(user, patient=patient)]


def _change_entry(change: MedicationChange) -> TimelineEntry:
    """A change as a timeline entry: a shift (starts, dose changes, switches and stops)
    that observations count their days from, unless it was entered in error (it stays
    on the timeline, struck through)."""
    medication_ids = {change.medication_id}
    if change.switched_to_id:
        medication_ids.add(change.switched_to_id)
    return TimelineEntry(
        when=change.effective_on,
        kind="medication-change",
        template="medications/_timeline_change.html",
        obj=change,
        extra={
            "shift": change.kind in SHIFT_KINDS and not change.is_entered_in_error,
            "in_error": change.is_entered_in_error,
            "medication_ids": medication_ids,
            "label": change_label(change),
        },
    )


# --- planned steps ----------------------------------------------------------------------


def planned_steps_visible_to(
    user, *, patient: Patient | None = None, medication: Medication | None = None
) -> QuerySet[PlannedStep]:
    """Steps of planned titrations and tapers not yet in effect that the user may read
    now, in date order, with their medication."""
    queryset = PlannedStep.objects.filter(status=PlannedStep.Status.PLANNED).select_related(
        "medication__patient", "author__clinician"
    )
    if patient is not None:
        queryset = queryset.filter(medication__patient=patient)
    if medication is not None:
        queryset = queryset.filter(medication=medication)
    return gate.visible(user, PlannedStep, queryset).order_by("planned_on", "pk")


def attach_planned_steps(user, medications: list[Medication]) -> list[PlannedStep]:
    """Set ``medication.planned`` (its steps still planned that the user may read) on
    each medication; one query. Returns the steps, to record as read."""
    steps = list(planned_steps_visible_to(user).filter(medication__in=[m.pk for m in medications]))
    for medication in medications:
        medication.planned = [step for step in steps if step.medication_id == medication.pk]
    return steps


def planned_timeline(user, patient: Patient) -> list[TimelineEntry]:
    """The patient's planned steps the user may read, as timeline entries (in the
    future; no observation counts its days from a step before it takes effect)."""
    return [
        TimelineEntry(
            when=step.planned_on,
            kind="planned-step",
            template="medications/_timeline_planned.html",
            obj=step,
            extra={"shift": False, "label": f"{step.medication.name}: planned {step.strength}"},
        )
        for step in planned_steps_visible_to(user, patient=patient)
    ]


# --- refill requests ------------------------------------------------------------------


def refill_requests_visible_to(
    user, *, status: str | None = None, patient: Patient | None = None
) -> QuerySet[RefillRequest]:
    """Refill requests the user may read now: late ones first, then by the date needed."""
    queryset = RefillRequest.objects.select_related(
        "medication__patient", "requested_by__clinician", "handled_by__clinician"
    )
    if status:
        queryset = queryset.filter(status=status)
    if patient is not None:
        queryset = queryset.filter(medication__patient=patient)
    return gate.visible(user, RefillRequest, queryset).order_by(
        "-late", "needed_by", "requested_at"
    )


def refill_request_for_user(user, pk) -> RefillRequest:
    """One refill request the user may read (404 alike for missing and hidden); read
    recorded, with its medication when the user may read that too."""
    queryset = RefillRequest.objects.select_related(
        "medication__patient__clinic", "requested_by__clinician", "handled_by__clinician"
    )
    request = gate.read_one(user, RefillRequest, pk, queryset=queryset)
    attach_readable_medications(user, [request])
    return request


def attach_readable_medications(user, requests: list[RefillRequest]) -> list[Medication]:
    """Set ``request.readable_medication`` to the request's medication when the user may
    read it, else None (a therapist whose release ended still sees their own request, not
    the prescriber's medication). One query; returns the medications to record as read."""
    ids = {request.medication_id for request in requests}
    if not ids:
        return []
    readable = {
        medication.pk: medication
        for medication in gate.visible(
            user, Medication, Medication.objects.filter(pk__in=ids).select_related("patient")
        )
    }
    for request in requests:
        request.readable_medication = readable.get(request.medication_id)
    return list(readable.values())


def refill_counts(user) -> dict[str, int]:
    """Open refill requests the user may read, and how many are late (one query)."""
    return (
        refill_requests_visible_to(user, status=RefillRequest.Status.OPEN)
        .order_by()
        .aggregate(total=Count("pk"), late=Count("pk", filter=Q(late=True)))
    )


# --- the review queue -----------------------------------------------------------------

REVIEW_PAGE_SIZE = 200


@dataclass
class ReviewGroup:
    """The observations of one patient waiting for the reviewer."""

    patient: Patient
    observations: list = field(default_factory=list)

    @property
    def flagged(self) -> int:
        return sum(1 for observation in self.observations if observation.flagged)


def review_queue(user, *, limit: int = REVIEW_PAGE_SIZE) -> tuple[list[ReviewGroup], int]:
    """The observations waiting for the user's review, grouped by patient in queue order
    (flagged first, newest first), each observation with ``after_change`` (the latest change of
    its medication, or of any, on or before it: ``{"days", "change"}``); and the total
    waiting. A fixed number of queries, whatever the queue holds."""
    # The total rides on each row (a window count), so a long queue costs no query more.
    queue = case_selectors.observations_to_review(user).annotate(queue_total=Window(Count("pk")))
    observations = list(queue[:limit])
    total = observations[0].queue_total if observations else 0
    patient_ids = {observation.case.patient_id for observation in observations}
    # Which change each observation follows is the timeline's rule
    # (``cases.selectors.place_after_changes``), applied to each patient's entries.
    entries_of: dict[int, list[TimelineEntry]] = {}
    for change in changes_visible_to(user).filter(
        medication__patient_id__in=patient_ids, kind__in=SHIFT_KINDS
    ):
        entries_of.setdefault(change.medication.patient_id, []).append(_change_entry(change))
    placed = []
    for observation in observations:
        entry = TimelineEntry(
            when=observation.observed_on,
            kind="observation",
            template="",
            obj=observation,
            extra={"medication_ids": {m.pk for m in observation.readable_medications}},
        )
        entries_of.setdefault(observation.case.patient_id, []).append(entry)
        placed.append(entry)
    for entries in entries_of.values():
        case_selectors.place_after_changes(entries)
    groups: dict[int, ReviewGroup] = {}
    for entry in placed:
        observation = entry.obj
        observation.after_change = entry.extra.get("after_change")
        patient = observation.case.patient
        groups.setdefault(patient.pk, ReviewGroup(patient=patient)).observations.append(observation)
    return list(groups.values()), total


def review_records(groups: list[ReviewGroup]) -> list:
    """Every gated record the review page shows (for gate.record_reads)."""
    records = []
    seen = set()
    for group in groups:
        for observation in group.observations:
            shown = [observation, *observation.readable_medications]
            if observation.after_change:
                shown.append(observation.after_change["change"])
            for obj in shown:
                key = (type(obj), obj.pk)
                if key not in seen:
                    seen.add(key)
                    records.append(obj)
    return records


# --- the caseload: my patients and what is due ----------------------------------------


@dataclass
class CaseloadRow:
    patient: Patient
    role: str
    last_observation_on: dt.date | None = None
    last_change_on: dt.date | None = None
    to_review: int = 0
    flagged: int = 0
    open_refills: int = 0
    late_refills: int = 0
    open_questions: int = 0
    release_state: ReleaseState = NO_RELEASE

    @property
    def days_since_observation(self) -> int | None:
        if self.last_observation_on is None:
            return None
        return (timezone.localdate() - self.last_observation_on).days

    @property
    def observation_due(self) -> bool:
        """No observation for the clinic's quiet-case days (or none at all)."""
        days = self.days_since_observation
        return days is None or days >= self.patient.clinic.quiet_case_days

    @property
    def checkin_due(self) -> bool:
        """For the therapist: a medication changed after their last observation."""
        if self.role != Clinician.Role.THERAPIST or self.last_change_on is None:
            return False
        return self.last_observation_on is None or self.last_change_on > self.last_observation_on

    @property
    def needs_attention(self) -> bool:
        return bool(
            self.to_review
            or self.late_refills
            or self.checkin_due
            or self.open_questions
            or (self.role == Clinician.Role.PRESCRIBER and self.open_refills)
            or (self.role == Clinician.Role.THERAPIST and self.observation_due)
        )


def caseload(user) -> list[CaseloadRow]:
    """The user's patients with an open case and what is due for each, those needing
    attention first: the last observation (the therapist's own; for a prescriber, the
    latest one shared with them), the last medication change they may read, observations
    waiting for their review (and flagged), open refill requests (and late), and the
    therapist's questions no one has reviewed yet. Six queries, whatever the caseload."""
    role = user.clinician.role
    patients = list(
        case_selectors.patients_of_clinician(user)
        .filter(cases__status=Case.Status.OPEN)
        .distinct()
        .select_related("clinic")
        .order_by("family_name", "given_name")
    )
    rows = {patient.pk: CaseloadRow(patient=patient, role=role) for patient in patients}
    if not rows:
        return []
    ids = list(rows)
    if role == Clinician.Role.THERAPIST:
        observations = Observation.objects.in_effect().filter(author=user, case__patient_id__in=ids)
    else:
        observations = gate.visible(
            user,
            Observation,
            Observation.objects.in_effect()
            .filter(case__patient_id__in=ids, shared=True)
            .exclude(author=user),
        )
    for row in observations.order_by().values("case__patient_id").annotate(last=Max("observed_on")):
        rows[row["case__patient_id"]].last_observation_on = row["last"]
    changes = (
        changes_visible_to(user)
        .in_effect()
        .filter(medication__patient_id__in=ids, kind__in=SHIFT_KINDS)
        .order_by()
        .values("medication__patient_id")
        .annotate(last=Max("effective_on"))
    )
    for row in changes:
        rows[row["medication__patient_id"]].last_change_on = row["last"]
    waiting = (
        case_selectors.observations_to_review(user)
        .filter(case__patient_id__in=ids)
        .order_by()
        .values("case__patient_id")
        .annotate(total=Count("pk"), flagged=Count("pk", filter=case_selectors.FLAGGED))
    )
    for row in waiting:
        rows[row["case__patient_id"]].to_review = row["total"]
        rows[row["case__patient_id"]].flagged = row["flagged"]
    refills = (
        refill_requests_visible_to(user, status=RefillRequest.Status.OPEN)
        .filter(medication__patient_id__in=ids)
        .order_by()
        .values("medication__patient_id")
        .annotate(total=Count("pk"), late=Count("pk", filter=Q(late=True)))
    )
    for row in refills:
        rows[row["medication__patient_id"]].open_refills = row["total"]
        rows[row["medication__patient_id"]].late_refills = row["late"]
    if role == Clinician.Role.THERAPIST:
        unreviewed = ~Exists(
            ObservationReview.objects.filter(
                observation=OuterRef("pk"), observation_updated_at__gte=OuterRef("updated_at")
            )
        )
        questions = (
            Observation.objects.in_effect()
            .filter(author=user, shared=True, case__patient_id__in=ids)
            .exclude(question="")
            .filter(unreviewed)
            .values("case__patient_id")
            .annotate(total=Count("pk"))
        )
        for row in questions:
            rows[row["case__patient_id"]].open_questions = row["total"]
    for pk, state in release_states(ids).items():
        rows[pk].release_state = state
    # Stable sort: alphabetical within each group.
    return sorted(rows.values(), key=lambda row: not row.needs_attention)
