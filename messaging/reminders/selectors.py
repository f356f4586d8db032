"""Reads of reminders: a clinician's due view."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from cases import selectors as case_selectors
from cases.models import Patient
from releases import gate

from ..models import Reminder
from .rules import OPEN, patient_id_field, subject_model
from .texts import reminder_text, target_url, url_or_none


@dataclass
class DueItem:
    reminder: Reminder
    headline: str
    url: str
    patient: Patient | None

    @property
    def overdue(self) -> bool:
        return self.reminder.due_on < timezone.localdate()


def _patients_known_to(user, clinician):
    if clinician is not None and clinician.is_clinic_admin:
        return case_selectors.patients_of_clinic(clinician.clinic_id)
    return case_selectors.patients_of_clinician(user)


def reminders_due_for(user, *, limit: int = 20) -> tuple[list[DueItem], int]:
    """The user's due reminders, soonest first, whose subject they may still read (not
    dismissed, not snoozed); and how many there are in all. Like the other home panels
    it shows patient names and dates, never clinical content, so it records no reads.
    A constant number of queries, whatever the count."""
    with gate.read_scope():
        return _reminders_due_for(user, limit=limit)


def _reminders_due_for(user, *, limit: int) -> tuple[list[DueItem], int]:
    now = timezone.now()
    showing = Q(notification__isnull=True) | Q(notification__dismissed_at__isnull=True) & (
        Q(notification__snoozed_until__isnull=True) | Q(notification__snoozed_until__lte=now)
    )
    rows = list(
        Reminder.objects.filter(recipient=user, status__in=OPEN, due_on__lte=timezone.localdate())
        .filter(showing)
        .select_related("notification")
        .order_by("due_on", "pk")
    )
    # The subjects the user may still read (the gate, at read time, for shared kinds)
    # and their patients: one query per kind of subject.
    by_type: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        by_type[row.subject_type].add(row.subject_id)
    patient_of: dict[tuple[str, int], int] = {}
    for subject_type, ids in by_type.items():
        model = subject_model(subject_type)
        queryset = model._default_manager.filter(pk__in=ids)
        try:
            gate.kind_of(model)
        except LookupError:
            pass  # not shared PHI (a case, a release): the reminder's recipient knows it
        else:
            queryset = gate.visible(user, model, queryset)
        for pk, patient_id in queryset.values_list("pk", patient_id_field(model)):
            patient_of[(subject_type, pk)] = patient_id
    rows = [row for row in rows if (row.subject_type, row.subject_id) in patient_of]
    shown = rows[:limit]
    keys = [(row.subject_type, row.subject_id) for row in shown]
    clinician = case_selectors.clinician_of(user)
    names = _patients_known_to(user, clinician).in_bulk({patient_of[key] for key in keys})
    for_admin = clinician is not None and clinician.is_clinic_admin
    items = []
    for row, key in zip(shown, keys, strict=True):
        # Through the notification when there is one, so opening it marks it read.
        url = url_or_none("notifications:open", row.notification_id)
        items.append(
            DueItem(
                reminder=row,
                headline=reminder_text(row.kind)[0],
                url=url
                or target_url(
                    kind=row.kind,
                    subject_id=row.subject_id,
                    patient_id=patient_of[key],
                    for_admin=for_admin,
                ),
                patient=names.get(patient_of[key]),
            )
        )
    return items, len(rows)


def due_panel(request):
    """Home panel: the signed-in clinician's due reminders, soonest first."""
    from cases.extensions import Panel

    if case_selectors.clinician_of(request.user) is None:
        return None
    items, total = reminders_due_for(request.user)
    return Panel(
        template="messaging/_due_panel.html",
        context={"items": items, "total": total, "more": total - len(items)},
        order=5,
    )
