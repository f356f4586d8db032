"""What is due today, and to whom: one evaluator per kind of reminder (see the package
docstring for the rules in words). Evaluators only read; ``services`` writes the rows."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone

from cases import selectors as case_selectors
from cases.categories import Category
from cases.models import CareTeamMember, Case, Clinic, Clinician, Observation, Patient
from medications.models import Medication, MedicationChange, RefillRequest
from releases import gate
from releases.models import InformationRelease

from ..models import Message, Reminder

Kind = Reminder.Kind
Status = Reminder.Status
User = get_user_model()

# Rows that still wait for their recipient (the due panel shows them; sweeps may
# resolve them). A failed delivery is still due.
OPEN = [Status.PENDING, Status.SENDING, Status.SENT, Status.FAILED]

REFILL_OVERDUE_DAYS = 14
LATE_REFILL_WINDOW_DAYS = 14
CHECKIN_GRACE_DAYS = 21
CHECKIN_KINDS = [
    MedicationChange.Kind.START,
    MedicationChange.Kind.INCREASE,
    MedicationChange.Kind.DECREASE,
    MedicationChange.Kind.SWITCH,
    MedicationChange.Kind.STOP,
]
# Changes that end the medication: they carry their own check-ins, and do not lose
# them because the medication stopped.
ENDING_KINDS = {MedicationChange.Kind.SWITCH, MedicationChange.Kind.STOP}

MEDICATION = Medication._meta.label
CHANGE = MedicationChange._meta.label
REFILL_REQUEST = RefillRequest._meta.label
CASE = Case._meta.label
RELEASE = InformationRelease._meta.label
MESSAGE = Message._meta.label


def subject_model(subject_type: str) -> type[models.Model]:
    """The model a reminder's ``subject_type`` names (its label, "medications.Medication")."""
    return django_apps.get_model(subject_type)


def patient_path(model: type[models.Model]) -> str:
    """How a subject reaches its patient: the path its app registered with the gate
    (``releases.gate``) for shared records; a record the gate does not guard (a case, a
    release) holds its patient in its own ``patient`` field; a patient is its own ("")."""
    if model is Patient:
        return ""
    try:
        return gate.kind_of(model).patient_path
    except LookupError:
        model._meta.get_field("patient")  # FieldDoesNotExist for anything else
        return "patient"


def patient_id_field(model: type[models.Model]) -> str:
    """The lookup of a subject's patient id ("medication__patient_id", "pk")."""
    path = patient_path(model)
    return f"{path}_id" if path else "pk"


def patient_id_of(subject: models.Model) -> int:
    """The id of the patient a subject is about (follows :func:`patient_path`)."""
    path = patient_path(type(subject))
    value = subject
    for part in path.split("__") if path else []:
        value = getattr(value, part)
    return value.pk


@dataclass(frozen=True)
class Due:
    """One reminder that should exist: the unique key of a Reminder row."""

    kind: str
    subject_type: str
    subject_id: int
    due_on: dt.date
    recipient_id: int


@dataclass
class Evaluation:
    """What one kind's evaluator found: the due reminders, and the subjects it judged
    (None: every subject of its type; else the ids, for a sweep of some patients)."""

    kind: str
    subject_type: str
    due: set[Due]
    scope: set[int] | None


# --- dates ----------------------------------------------------------------------------


def start_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def add_working_days(day: dt.date, count: int) -> dt.date:
    """The date ``count`` working days (Monday to Friday) after ``day``."""
    while count > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def _days(value: str, default: str) -> list[int]:
    try:
        days = Clinic.parse_days(value)
    except ValueError:
        days = []
    return [day for day in days if day > 0] or Clinic.parse_days(default)


# --- who: care teams, clinic admins, the gate -------------------------------------------


@dataclass
class People:
    """Active clinicians, by patient and case, of the patients a sweep looks at."""

    by_patient: dict[int, dict[str, set[int]]]
    by_case: dict[int, dict[str, set[int]]]
    admins_by_clinic: dict[int, set[int]]


def _people(patient_ids: set[int] | None) -> People:
    # Reminders go to members of open cases (CareTeamQuerySet.reminding).
    members = CareTeamMember.objects.reminding().filter(clinician__user__is_active=True)
    if patient_ids is not None:
        members = members.filter(case__patient_id__in=patient_ids)
    by_patient: dict[int, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    by_case: dict[int, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for patient_id, case_id, role, user_id in members.values_list(
        "case__patient_id", "case_id", "role_on_case", "clinician__user_id"
    ):
        by_patient[patient_id][role].add(user_id)
        by_case[case_id][role].add(user_id)
    admins: dict[int, set[int]] = defaultdict(set)
    for clinic_id, user_id in case_selectors.active_clinicians(
        role=Clinician.Role.CLINIC_ADMIN
    ).values_list("clinic_id", "user_id"):
        admins[clinic_id].add(user_id)
    return People(by_patient, by_case, admins)


def _clinicians(people: People, patient_id: int) -> set[int]:
    team = people.by_patient.get(patient_id, {})
    return set(team.get(CareTeamMember.RoleOnCase.PRESCRIBER, ())) | set(
        team.get(CareTeamMember.RoleOnCase.THERAPIST, ())
    )


def _therapists(people: People, patient_id: int) -> set[int]:
    return set(people.by_patient.get(patient_id, {}).get(CareTeamMember.RoleOnCase.THERAPIST, ()))


def _readable(model: type[models.Model], wanted: dict[int, set[int]]) -> dict[int, set[int]]:
    """subject id -> the candidate user ids that the gate lets read it now.

    One query per user, whatever the number of subjects."""
    by_user: dict[int, set[int]] = defaultdict(set)
    for subject_id, user_ids in wanted.items():
        for user_id in user_ids:
            by_user[user_id].add(subject_id)
    users = User.objects.select_related("clinician").in_bulk(list(by_user))
    readable: dict[int, set[int]] = defaultdict(set)
    for user_id, subject_ids in by_user.items():
        user = users.get(user_id)
        if user is None:
            continue
        visible = gate.visible(user, model, model._default_manager.filter(pk__in=subject_ids))
        for subject_id in visible.values_list("pk", flat=True):
            readable[subject_id].add(user_id)
    return readable


def _scope(subject_type: str, patient_ids: set[int] | None) -> set[int] | None:
    if patient_ids is None:
        return None
    model = subject_model(subject_type)
    lookup = f"{patient_id_field(model)}__in"
    return set(model._default_manager.filter(**{lookup: patient_ids}).values_list("pk", flat=True))


def _clinics() -> dict[int, Clinic]:
    return Clinic.objects.in_bulk()


# --- the evaluators: what is due today ----------------------------------------------------


def evaluate_refill_due(today: dt.date, patient_ids: set[int] | None = None) -> Evaluation:
    """Active prescribed medications whose supply ends within the clinic's lead time."""
    clinics = _clinics()
    requests = RefillRequest.objects.filter(medication=OuterRef("pk"))
    medications = (
        Medication.objects.filter(
            status=Medication.Status.ACTIVE,
            patient_reported=False,
            last_fill_date__isnull=False,
            days_supply__gt=0,
        )
        .annotate(
            request_open=Exists(requests.filter(status=RefillRequest.Status.OPEN)),
            request_sent=Exists(
                requests.filter(
                    status=RefillRequest.Status.SENT,
                    requested_at__date__gte=OuterRef("last_fill_date"),
                )
            ),
        )
        .filter(request_open=False, request_sent=False)
    )
    if patient_ids is not None:
        medications = medications.filter(patient_id__in=patient_ids)
    candidates: dict[int, tuple[int, dt.date]] = {}
    for pk, patient_id, clinic_id, filled, supply, schedule, stop in medications.values_list(
        "pk",
        "patient_id",
        "patient__clinic_id",
        "last_fill_date",
        "days_supply",
        "controlled_schedule",
        "stop_date",
    ):
        clinic = clinics[clinic_id]
        ends = filled + dt.timedelta(days=supply)
        lead = clinic.controlled_refill_lead_days if schedule else clinic.refill_lead_days
        due_on = ends - dt.timedelta(days=lead)
        if due_on > today or ends < today - dt.timedelta(days=REFILL_OVERDUE_DAYS):
            continue
        # A medication that stops before its supply ends needs no refill.
        if stop is not None and (stop <= ends or stop <= today):
            continue
        candidates[pk] = (patient_id, due_on)
    people = _people({patient_id for patient_id, _ in candidates.values()})
    readable = _readable(
        Medication,
        {pk: _clinicians(people, patient_id) for pk, (patient_id, _) in candidates.items()},
    )
    due = {
        Due(Kind.REFILL_DUE, MEDICATION, pk, due_on, user_id)
        for pk, (_, due_on) in candidates.items()
        for user_id in readable.get(pk, ())
    }
    return Evaluation(Kind.REFILL_DUE, MEDICATION, due, _scope(MEDICATION, patient_ids))


def evaluate_late_refill(today: dt.date, patient_ids: set[int] | None = None) -> Evaluation:
    """Late controlled-substance refill requests, to explore with the patient."""
    since = start_of_day(today - dt.timedelta(days=LATE_REFILL_WINDOW_DAYS))
    requests = RefillRequest.objects.filter(
        late=True, requested_at__gte=since, requested_at__lt=start_of_day(today + dt.timedelta(1))
    )
    if patient_ids is not None:
        requests = requests.filter(medication__patient_id__in=patient_ids)
    candidates = {
        pk: (patient_id, requested_at)
        for pk, patient_id, requested_at in requests.values_list(
            "pk", "medication__patient_id", "requested_at"
        )
    }
    patients = {patient_id for patient_id, _ in candidates.values()}
    people = _people(patients)
    # Who has written about the patient since (the exploration may be private).
    written: dict[tuple[int, int], list[dt.datetime]] = defaultdict(list)
    for patient_id, author_id, created_at in Observation.objects.filter(
        case__patient_id__in=patients, created_at__gte=since
    ).values_list("case__patient_id", "author_id", "created_at"):
        written[(patient_id, author_id)].append(created_at)
    readable = _readable(
        RefillRequest,
        {pk: _clinicians(people, patient_id) for pk, (patient_id, _) in candidates.items()},
    )
    due = set()
    for pk, (patient_id, requested_at) in candidates.items():
        for user_id in readable.get(pk, ()):
            if any(when >= requested_at for when in written[(patient_id, user_id)]):
                continue
            due.add(
                Due(Kind.LATE_REFILL, REFILL_REQUEST, pk, timezone.localdate(requested_at), user_id)
            )
    return Evaluation(Kind.LATE_REFILL, REFILL_REQUEST, due, _scope(REFILL_REQUEST, patient_ids))


def _checkin_point(
    effective_on: dt.date, points: list[int], today: dt.date
) -> tuple[dt.date, dt.date] | None:
    """(due date, first day an observation counts) of the latest check-in point that has
    passed, or None.

    An observation counts from the middle of the interval that leads to the check-in
    (day 4 for the 7-day check-in, day 18 for the 28-day one after a 7-day one): too
    early, it cannot say how the change worked; the answer to the previous check-in
    does not answer this one."""
    passed = [day for day in points if effective_on + dt.timedelta(days=day) <= today]
    if not passed:
        return None
    day = passed[-1]
    if day == points[-1] and today > effective_on + dt.timedelta(days=day + CHECKIN_GRACE_DAYS):
        return None  # long past the last check-in: stale
    previous = points[points.index(day) - 1] if points.index(day) > 0 else 0
    counts_from = effective_on + dt.timedelta(days=-(-(previous + day) // 2))
    return effective_on + dt.timedelta(days=day), counts_from


def evaluate_checkin_due(today: dt.date, patient_ids: set[int] | None = None) -> Evaluation:
    """Check-ins after a medication start or change with no observation about it since."""
    clinics = _clinics()
    points_by_clinic = {pk: _days(c.checkin_days, "7,28") for pk, c in clinics.items()}
    longest = max((p[-1] for p in points_by_clinic.values()), default=28)
    oldest = today - dt.timedelta(days=longest + CHECKIN_GRACE_DAYS)
    changes = MedicationChange.objects.filter(
        kind__in=CHECKIN_KINDS, effective_on__gte=oldest, effective_on__lte=today
    )
    if patient_ids is not None:
        changes = changes.filter(medication__patient_id__in=patient_ids)
    rows = list(
        changes.values_list(
            "pk",
            "kind",
            "effective_on",
            "medication_id",
            "switched_to_id",
            "medication__patient_id",
            "medication__patient__clinic_id",
            "medication__stop_date",
        )
    )
    # Every check-in-worthy change of the medications involved, to find later ones.
    chain_ids = {row[3] for row in rows} | {row[4] for row in rows if row[4]}
    later_changes: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for pk, medication_id, effective_on in MedicationChange.objects.filter(
        kind__in=CHECKIN_KINDS, medication_id__in=chain_ids, effective_on__lte=today
    ).values_list("pk", "medication_id", "effective_on"):
        later_changes[medication_id].append((effective_on, pk))

    candidates: dict[int, tuple[int, dt.date, dt.date, set[int]]] = {}
    for pk, kind, effective_on, med_id, switched_to, patient_id, clinic_id, stop in rows:
        point = _checkin_point(effective_on, points_by_clinic[clinic_id], today)
        if point is None:
            continue
        due_on, counts_from = point
        chain = {med_id, switched_to} - {None}
        # A later change (already in effect) takes over with check-ins of its own.
        superseded = any(
            (other_on, other_pk) > (effective_on, pk)
            for medication_id in chain
            for other_on, other_pk in later_changes[medication_id]
        )
        if superseded:
            continue
        if kind not in ENDING_KINDS and stop is not None and stop <= due_on:
            continue
        candidates[pk] = (patient_id, due_on, counts_from, chain)

    patients = {c[0] for c in candidates.values()}
    earliest = min((c[2] for c in candidates.values()), default=today)
    observations_by_patient: dict[int, list[tuple[int, dt.date, bool]]] = defaultdict(list)
    for observation_id, patient_id, observed_on, adherence, response in Observation.objects.filter(
        shared=True,
        case__patient_id__in=patients,
        observed_on__gte=earliest,
        observed_on__lte=today,
    ).values_list("pk", "case__patient_id", "observed_on", "adherence", "response"):
        observations_by_patient[patient_id].append(
            (observation_id, observed_on, bool(adherence or response))
        )
    observation_ids = [
        observation[0]
        for observations in observations_by_patient.values()
        for observation in observations
    ]
    links: dict[int, set[int]] = defaultdict(set)
    for observation_id, medication_id in Medication.observations.through.objects.filter(
        observation_id__in=observation_ids
    ).values_list("observation_id", "medication_id"):
        links[observation_id].add(medication_id)

    def about(observation_id: int, records_effect: bool, chain: set[int]) -> bool:
        # Linked to medications: about those. Unlinked: about the patient's medication
        # when it records adherence or response.
        return bool(links[observation_id] & chain) if links[observation_id] else records_effect

    people = _people(patients)
    open_ones = {}
    for pk, (patient_id, due_on, counts_from, chain) in candidates.items():
        answered = any(
            observed_on >= counts_from and about(observation_id, records_effect, chain)
            for observation_id, observed_on, records_effect in observations_by_patient[patient_id]
        )
        if not answered:
            open_ones[pk] = (patient_id, due_on)
    readable = _readable(
        MedicationChange,
        {pk: _therapists(people, patient_id) for pk, (patient_id, _) in open_ones.items()},
    )
    due = {
        Due(Kind.CHECKIN_DUE, CHANGE, pk, due_on, user_id)
        for pk, (_, due_on) in open_ones.items()
        for user_id in readable.get(pk, ())
    }
    return Evaluation(Kind.CHECKIN_DUE, CHANGE, due, _scope(CHANGE, patient_ids))


def _observations_reach(patient_id: int, author_id: int, reader_ids: set[int]) -> bool:
    """Whether a shared observation ``author_id`` writes now reaches one of the readers
    under an active release (the gate's rule, asked of the release part)."""
    readers = User.objects.filter(pk__in=reader_ids).annotate(
        release_id=gate.covering_release(
            reader=OuterRef("pk"),
            author=author_id,
            patient=patient_id,
            category=Category.OBSERVATIONS,
        )
    )
    return readers.filter(release_id__isnull=False).exists()


def evaluate_quiet_case(today: dt.date, patient_ids: set[int] | None = None) -> Evaluation:
    """Open collaborative cases with no shared observation for the clinic's quiet period,
    whose therapist's observations would reach a prescriber of the case now (without an
    active release, asking the therapist to share is noise)."""
    clinics = _clinics()
    cases = Case.objects.filter(status=Case.Status.OPEN).annotate(
        last_shared=Max("observations__observed_on", filter=Q(observations__shared=True))
    )
    if patient_ids is not None:
        cases = cases.filter(patient_id__in=patient_ids)
    rows = list(
        cases.values_list("pk", "patient_id", "patient__clinic_id", "opened_on", "last_shared")
    )
    people = _people(patient_ids)
    due = set()
    for pk, patient_id, clinic_id, opened_on, last_shared in rows:
        period = clinics[clinic_id].quiet_case_days
        team = people.by_case.get(pk, {})
        therapists = team.get(CareTeamMember.RoleOnCase.THERAPIST, set())
        prescribers = team.get(CareTeamMember.RoleOnCase.PRESCRIBER, set())
        if not period or not therapists or not prescribers:
            continue
        base = max(last_shared or opened_on, opened_on)
        quiet = (today - base).days
        if quiet < period:
            continue
        due_on = base + dt.timedelta(days=quiet // period * period)
        due.update(
            Due(Kind.QUIET_CASE, CASE, pk, due_on, user_id)
            for user_id in therapists
            if _observations_reach(patient_id, user_id, prescribers)
        )
    return Evaluation(Kind.QUIET_CASE, CASE, due, _scope(CASE, patient_ids))


def evaluate_release_expiring(today: dt.date, patient_ids: set[int] | None = None) -> Evaluation:
    """Active releases nearing their expiration date, with no newer release replacing them."""
    clinics = _clinics()
    notices = {pk: _days(c.release_notice_days, "30,7") for pk, c in clinics.items()}
    furthest = max((n[-1] for n in notices.values()), default=30)
    # The release's one end instant (expires_at); its last day is the day before.
    releases = InformationRelease.objects.filter(
        status=InformationRelease.Status.ACTIVE,
        expires_at__gt=start_of_day(today),
        expires_at__lte=start_of_day(today + dt.timedelta(days=furthest + 1)),
    )
    if patient_ids is not None:
        releases = releases.filter(patient_id__in=patient_ids)
    fields = ("pk", "patient_id", "expires_at", "recipient_id", "discloser_clinician_id")

    def last_day(row: tuple) -> tuple:
        ends = row[2]
        return (*row[:2], ends and timezone.localdate(ends) - dt.timedelta(days=1), *row[3:])

    rows = [
        last_day(row)
        for row in releases.values_list(*fields, "discloser_clinic_id", "patient__clinic_id")
    ]
    active = defaultdict(list)
    for row in InformationRelease.objects.filter(
        status=InformationRelease.Status.ACTIVE, patient_id__in={row[1] for row in rows}
    ).values_list(*fields, "discloser_clinic_id"):
        active[row[1]].append(last_day(row))
    people = _people({row[1] for row in rows})
    due = set()
    for pk, patient_id, expires_on, recipient, by_clinician, by_clinic, clinic_id in rows:
        passed = [d for d in notices[clinic_id] if expires_on - dt.timedelta(days=d) <= today]
        if not passed:
            continue
        replaced = any(
            (other[3], other[4], other[5]) == (recipient, by_clinician, by_clinic)
            and other[0] != pk
            and (other[2] is None or other[2] > expires_on)
            for other in active[patient_id]
        )
        if replaced:
            continue
        due_on = expires_on - dt.timedelta(days=passed[0])
        for user_id in people.admins_by_clinic.get(clinic_id, set()) | _clinicians(
            people, patient_id
        ):
            due.add(Due(Kind.RELEASE_EXPIRING, RELEASE, pk, due_on, user_id))
    return Evaluation(Kind.RELEASE_EXPIRING, RELEASE, due, _scope(RELEASE, patient_ids))


def evaluate_consult_waiting(today: dt.date, patient_ids: set[int] | None = None) -> Evaluation:
    """Consult questions open for the clinic's number of working days."""
    clinics = _clinics()
    questions = Message.objects.filter(
        kind=Message.Kind.QUESTION,
        state=Message.State.OPEN,
        case__status=Case.Status.OPEN,
        created_at__lt=start_of_day(today),
    )
    if patient_ids is not None:
        questions = questions.filter(case__patient_id__in=patient_ids)
    candidates = {}
    patients = set()
    for pk, case_id, patient_id, author_id, clinic_id, created_at in questions.values_list(
        "pk", "case_id", "case__patient_id", "author_id", "case__patient__clinic_id", "created_at"
    ):
        wait = clinics[clinic_id].consult_wait_working_days
        due_on = add_working_days(timezone.localdate(created_at), wait)
        if due_on <= today:
            candidates[pk] = (case_id, author_id, due_on)
            patients.add(patient_id)
    people = _people(patients)

    def answerers(case_id: int, author_id: int) -> set[int]:
        team = people.by_case.get(case_id, {})
        members = set().union(*team.values()) if team else set()
        return members - {author_id}

    readable = _readable(Message, {pk: answerers(c, a) for pk, (c, a, _) in candidates.items()})
    due = {
        Due(Kind.CONSULT_WAITING, MESSAGE, pk, due_on, user_id)
        for pk, (_, _, due_on) in candidates.items()
        for user_id in readable.get(pk, ())
    }
    return Evaluation(Kind.CONSULT_WAITING, MESSAGE, due, _scope(MESSAGE, patient_ids))


EVALUATORS: dict[str, Callable[[dt.date, set[int] | None], Evaluation]] = {
    Kind.REFILL_DUE: evaluate_refill_due,
    Kind.LATE_REFILL: evaluate_late_refill,
    Kind.CHECKIN_DUE: evaluate_checkin_due,
    Kind.QUIET_CASE: evaluate_quiet_case,
    Kind.RELEASE_EXPIRING: evaluate_release_expiring,
    Kind.CONSULT_WAITING: evaluate_consult_waiting,
}
