"""Reads of assessments, their trends and the not-improving list, all through the gate."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils import timezone

from cases.extensions import TimelineEntry
from cases.models import Patient
from cases.selectors import patients_of_clinician
from medications.models import MedicationChange
from releases import gate

from . import charts, scales, trends
from .models import Assessment


def assessments_visible_to(user, *, patient: Patient | None = None) -> QuerySet[Assessment]:
    """Assessments the user may read now, oldest first, with their joins."""
    queryset = Assessment.objects.select_related("case__patient", "administered_by__clinician")
    if patient is not None:
        queryset = queryset.filter(case__patient=patient)
    return gate.visible(user, Assessment, queryset).order_by("given_on", "created_at", "pk")


def assessment_for_user(user, pk) -> Assessment:
    """One assessment the user may read (404 alike for missing and hidden); read recorded."""
    queryset = Assessment.objects.select_related("case__patient", "administered_by__clinician")
    return gate.read_one(user, Assessment, pk, queryset=queryset)


def treatment_changes_visible_to(user) -> QuerySet[MedicationChange]:
    """Medication starts, dose changes, switches and stops the user may read now (those
    entered in error do not count)."""
    queryset = MedicationChange.objects.in_effect().filter(kind__in=trends.TREATMENT_KINDS)
    queryset = queryset.select_related("medication", "switched_to")
    return gate.visible(user, MedicationChange, queryset).order_by("effective_on", "created_at")


@dataclass
class ScaleTrend:
    """One scale on a patient's page: its chart (None without scores) and its rows."""

    scale: scales.Scale
    chart: charts.TrendChart | None
    svg: str = ""
    assessments: list[Assessment] = field(default_factory=list)


@dataclass
class PatientTrends:
    trends: list[ScaleTrend]
    assessments: list[Assessment]
    changes: list[MedicationChange]


def trends_of_patient(user, patient: Patient, *, today: dt.date | None = None) -> PatientTrends:
    """Every scale's chart for a patient, from what the user may read (two queries).

    The caller records the reads (``gate.record_reads``) of what it shows."""
    today = today or timezone.localdate()
    assessments = list(assessments_visible_to(user, patient=patient))
    changes = list(treatment_changes_visible_to(user).filter(medication__patient=patient))
    markers = [charts.marker_from_change(change) for change in changes]
    by_scale: dict[str, list[Assessment]] = defaultdict(list)
    for assessment in assessments:
        by_scale[assessment.scale].append(assessment)
    result = []
    for scale in scales.all_scales():
        rows = by_scale.get(scale.code, [])
        # Rows entered in error stay in the list (struck through), off the chart.
        points = [charts.point_from_assessment(row) for row in rows if not row.is_entered_in_error]
        chart = charts.build_trend(scale, points, markers, today=today)
        svg = charts.render_trend_svg(chart) if chart else ""
        result.append(ScaleTrend(scale=scale, chart=chart, svg=svg, assessments=rows))
    shown = {marker.pk for trend in result if trend.chart for marker in trend.chart.markers}
    return PatientTrends(
        trends=result,
        assessments=assessments,
        changes=[change for change in changes if change.pk in shown],
    )


def assessment_timeline(user, patient: Patient):
    """The patient's assessments the user may read, as timeline entries."""
    return [
        TimelineEntry(
            when=assessment.given_on,
            kind="assessment",
            template="assessments/_timeline_assessment.html",
            obj=assessment,
            flagged=assessment.safety_flag,
        )
        for assessment in assessments_visible_to(user, patient=patient)
    ]


# --- not improving ------------------------------------------------------------------


@dataclass
class NotImproving:
    """A patient to reconsider: their latest treatment change and the scales that lag."""

    patient: Patient
    changes: list[MedicationChange]  # the changes of the most recent change day
    changed_on: dt.date
    weeks: int
    outcomes: list[trends.Outcome]  # the scales that are not improving

    @property
    def objects_read(self) -> list:
        rows = list(self.changes)
        for outcome in self.outcomes:
            rows += [outcome.baseline, outcome.follow_up]
        return rows


def patients_not_improving(user, *, today: dt.date | None = None) -> list[NotImproving]:
    """Patients of the user whose score has not dropped 50% from baseline 8-12 weeks after
    their latest treatment change (definitions in ``assessments.trends``); two queries,
    after the gate's two (the reader's releases and care teams, once per read scope).

    The caller records the reads of the rows it shows (``NotImproving.objects_read``)."""
    with gate.read_scope():
        return _patients_not_improving(user, today=today)


def _patients_not_improving(user, *, today: dt.date | None) -> list[NotImproving]:
    today = today or timezone.localdate()
    oldest = today - dt.timedelta(days=trends.REVIEW_TO_DAYS)
    changes = (
        treatment_changes_visible_to(user)
        .filter(
            medication__patient__in=patients_of_clinician(user),
            effective_on__gte=oldest,
            effective_on__lte=today,
        )
        .select_related("medication__patient")
    )
    latest_day: dict[int, dt.date] = {}
    latest: dict[int, list[MedicationChange]] = defaultdict(list)
    for change in changes:  # oldest first: the last day seen per patient is the latest
        patient_id = change.medication.patient_id
        if latest_day.get(patient_id) != change.effective_on:
            latest[patient_id] = []
        latest_day[patient_id] = change.effective_on
        latest[patient_id].append(change)
    due = {
        patient_id: day
        for patient_id, day in latest_day.items()
        if trends.in_review_window(day, today)
    }
    if not due:
        return []
    earliest = min(due.values()) - dt.timedelta(days=trends.BASELINE_WINDOW_DAYS)
    scores: dict[tuple[int, str], list[Assessment]] = defaultdict(list)
    for assessment in (
        assessments_visible_to(user)
        .in_effect()
        .filter(case__patient_id__in=list(due), given_on__gte=earliest, given_on__lte=today)
    ):
        scores[(assessment.case.patient_id, assessment.scale)].append(assessment)
    result = []
    for patient_id, changed_on in due.items():
        lagging = []
        for scale in scales.all_scales():
            outcome = trends.outcome_for(
                scale, scores.get((patient_id, scale.code), []), changed_on, today
            )
            if outcome is not None and outcome.is_not_improving:
                lagging.append(outcome)
        if lagging:
            changes_of_day = latest[patient_id]
            result.append(
                NotImproving(
                    patient=changes_of_day[0].medication.patient,
                    changes=changes_of_day,
                    changed_on=changed_on,
                    weeks=trends.weeks_since(changed_on, today),
                    outcomes=lagging,
                )
            )
    result.sort(key=lambda row: (row.changed_on, row.patient.family_name))
    return result
