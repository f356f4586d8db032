"""Reads of safety alerts, all through the gate (releases.gate): a clinician sees the
alerts of the records they may read, and nothing else."""

from __future__ import annotations

from django.db.models import QuerySet

from cases.extensions import TimelineEntry
from cases.models import Patient
from releases import gate

from .models import AlertAcknowledgement, SafetyAlert


def alerts_visible_to(user, *, patient: Patient | None = None) -> QuerySet[SafetyAlert]:
    """The alerts ``user`` may read (of one patient, or all), newest first."""
    queryset = SafetyAlert.objects.select_related("patient", "assessment", "observation")
    if patient is not None:
        queryset = queryset.filter(patient=patient)
    return gate.visible(user, SafetyAlert, queryset)


def open_alerts_for(user, *, patient: Patient | None = None) -> list[SafetyAlert]:
    """Alerts not yet acknowledged that ``user`` may read, the oldest first (it has
    waited longest). Reading them is recorded."""
    alerts = list(
        alerts_visible_to(user, patient=patient)
        .filter(acknowledged_at__isnull=True)
        .order_by("raised_at", "pk")
    )
    gate.record_reads(user, alerts)
    return alerts


def alert_for_user(user, pk) -> SafetyAlert:
    """One alert the user may read (the read recorded), or the gate's logged 404."""
    return gate.read_one(
        user,
        SafetyAlert,
        pk,
        queryset=SafetyAlert.objects.select_related("patient", "assessment", "observation"),
    )


def acknowledgements_visible_to(user, *, patient: Patient) -> QuerySet[AlertAcknowledgement]:
    queryset = AlertAcknowledgement.objects.filter(alert__patient=patient).select_related(
        "alert", "acknowledged_by"
    )
    return gate.visible(user, AlertAcknowledgement, queryset)


def acknowledgement_of(user, alert: SafetyAlert) -> AlertAcknowledgement | None:
    """The alert's acknowledgement if the user may read it (the read recorded)."""
    found = (
        gate.visible(
            user,
            AlertAcknowledgement,
            AlertAcknowledgement.objects.filter(alert=alert).select_related("acknowledged_by"),
        )
        .order_by()
        .first()
    )
    if found is not None:
        gate.record_reads(user, [found])
    return found


def alert_timeline(user, patient: Patient) -> list[TimelineEntry]:
    """Alerts raised and acknowledged, as timeline entries (the page records the reads)."""
    entries = [
        TimelineEntry(
            when=alert.raised_at,
            kind="safety-alert",
            template="alerts/_timeline_alert.html",
            obj=alert,
            flagged=alert.is_open,
        )
        for alert in alerts_visible_to(user, patient=patient)
    ]
    entries += [
        TimelineEntry(
            when=ack.acknowledged_at,
            kind="alert-acknowledged",
            template="alerts/_timeline_acknowledgement.html",
            obj=ack,
        )
        for ack in acknowledgements_visible_to(user, patient=patient)
    ]
    return entries
