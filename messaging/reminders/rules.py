"""What is due today, and to whom: one evaluator per kind of reminder (see the package
docstring for the rules in words). Evaluators only read; ``services`` writes the rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps as django_apps
from django.db import models
from django.db.models import Case as SqlCase
from django.db.models import (
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, TruncDate
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


@dataclass
class Evaluation:
    """What one kind's evaluator found: the due reminders, and the subjects it judged
    (None: every subject of its type; else the ids, for a sweep of some patients).

    ``due`` is a query whose rows are (subject id, due date, recipient id): with the kind
    and the subject type, the unique key of a Reminder row. The service inserts and
    resolves from it in SQL, without loading the rows."""

    kind: str
    subject_type: str
    due: QuerySet
    scope: set[int] | None

    def due_sql(self) -> tuple[str, list]:
        """SQL and parameters of the due rows: subject id, due date, recipient id."""
        sql, params = self.due.query.sql_with_params()
        return sql, list(params)


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


def _scope(subject_type: str, patient_ids: set[int] | None) -> set[int] | None:
    if patient_ids is None:
        return None
    model = subject_model(subject_type)
    lookup = f"{patient_id_field(model)}__in"
    return set(model._default_manager.filter(**{lookup: patient_ids}).values_list("pk", flat=True))


def _clinics() -> dict[int, Clinic]:
    return Clinic.objects.in_bulk()


# --- who, in SQL: one row per subject and recipient ---------------------------------------

CLINICIANS = [CareTeamMember.RoleOnCase.PRESCRIBER, CareTeamMember.RoleOnCase.THERAPIST]
THERAPISTS = [CareTeamMember.RoleOnCase.THERAPIST]


def _date(expression) -> ExpressionWrapper:
    """Date arithmetic in SQL (a date plus or minus whole days is a date)."""
    return ExpressionWrapper(expression, output_field=models.DateField())


def _days_between(later, earlier) -> Func:
    """Whole days from ``earlier`` to ``later`` (dates; SQL's date minus date)."""
    return Func(
        later,
        earlier,
        template="(%(expressions)s)",
        arg_joiner=" - ",
        output_field=models.IntegerField(),
    )


def _with_team(queryset: QuerySet, cases: str, roles: list[str]) -> QuerySet:
    """One row per subject and active clinician of ``roles`` on an open case of it
    (``cases``: the path to the subject's cases, "patient__cases", or to its case,
    "case"; "" for a case itself), with that clinician's user id as ``r_recipient``.

    The conditions are one ``filter()`` so they hold for the same membership, and the
    annotation reuses that join."""
    prefix = f"{cases}__" if cases else ""
    members = f"{prefix}care_team"
    return queryset.filter(
        **{
            # Reminders go to members of open cases (CareTeamQuerySet.reminding).
            f"{members}__in": CareTeamMember.objects.reminding(),
            f"{members}__role_on_case__in": roles,
            f"{members}__clinician__user__is_active": True,
        }
    ).annotate(r_recipient=F(f"{members}__clinician__user_id"))


def _readable_rows(model: type[models.Model], rows: QuerySet) -> QuerySet:
    """The (subject id, due date, recipient id) rows whose recipient may read the
    subject now (the gate's rule, for every row in the same query)."""
    readable = gate.readable_by(model, rows.order_by(), reader="r_recipient")
    return readable.values_list("pk", "r_due_on", "r_recipient")


# --- the evaluators: what is due today ----------------------------------------------------


def evaluate_refill_due(today: dt.date, patient_ids: set[int] | None = None) -> Evaluation:
    """Active prescribed medications whose supply ends within the clinic's lead time."""
    requests = RefillRequest.objects.filter(medication=OuterRef("pk"))
    lead = SqlCase(
        When(~Q(controlled_schedule=""), then=F("patient__clinic__controlled_refill_lead_days")),
        default=F("patient__clinic__refill_lead_days"),
    )
    medications = (
        Medication.objects.filter(
            status=Medication.Status.ACTIVE,
            patient_reported=False,
            last_fill_date__isnull=False,
            days_supply__gt=0,
        )
        .annotate(r_ends=_date(F("last_fill_date") + F("days_supply")))
        .annotate(r_due_on=_date(F("r_ends") - lead))
        .filter(r_due_on__lte=today, r_ends__gte=today - dt.timedelta(days=REFILL_OVERDUE_DAYS))
        # A medication that stops before its supply ends needs no refill.
        .filter(Q(stop_date__isnull=True) | Q(stop_date__gt=F("r_ends")) & Q(stop_date__gt=today))
        .exclude(Exists(requests.filter(status=RefillRequest.Status.OPEN)))
        .exclude(
            Exists(
                requests.filter(
                    status=RefillRequest.Status.SENT,
                    requested_at__date__gte=OuterRef("last_fill_date"),
                )
            )
        )
    )
    if patient_ids is not None:
        medications = medications.filter(patient_id__in=patient_ids)
    due = _readable_rows(Medication, _with_team(medications, "patient__cases", CLINICIANS))
    return Evaluation(Kind.REFILL_DUE, MEDICATION, due, _scope(MEDICATION, patient_ids))


def evaluate_late_refill(today: dt.date, patient_ids: set[int] | None = None) -> Evaluation:
    """Late controlled-substance refill requests, to explore with the patient."""
    requests = RefillRequest.objects.filter(
        late=True,
        requested_at__gte=start_of_day(today - dt.timedelta(days=LATE_REFILL_WINDOW_DAYS)),
        requested_at__lt=start_of_day(today + dt.timedelta(1)),
    )
    if patient_ids is not None:
        requests = requests.filter(medication__patient_id__in=patient_ids)
    rows = _with_team(requests, "medication__patient__cases", CLINICIANS).annotate(
        r_due_on=TruncDate("requested_at")
    )
    # Explored: the clinician wrote about the patient since (the exploration may be private).
    # Observations and changes entered in error count nowhere here (``in_effect``).
    written = Observation.objects.in_effect().filter(
        case__patient_id=OuterRef("medication__patient_id"),
        author_id=OuterRef("r_recipient"),
        created_at__gte=OuterRef("requested_at"),
    )
    due = _readable_rows(RefillRequest, rows.exclude(Exists(written)))
    return Evaluation(Kind.LATE_REFILL, REFILL_REQUEST, due, _scope(REFILL_REQUEST, patient_ids))


def _checkin_points(clinics: dict[int, list[int]]) -> tuple[SqlCase, SqlCase]:
    """SQL of the latest check-in point that has passed for each change (``r_since``: days
    since it took effect), and of the first day after the change from which an
    observation counts for it, per clinic; both NULL when no point has passed or the last
    one is long past (stale).

    An observation counts from the middle of the interval that leads to the check-in
    (day 4 for the 7-day check-in, day 18 for the 28-day one after a 7-day one): too
    early, it cannot say how the change worked; the answer to the previous check-in
    does not answer this one."""
    point, counts_from = [], []
    for clinic_id, points in clinics.items():
        clinic = Q(medication__patient__clinic_id=clinic_id)
        stale = clinic & Q(r_since__gt=points[-1] + CHECKIN_GRACE_DAYS)
        point.append(When(stale, then=None))
        counts_from.append(When(stale, then=None))
        for index in reversed(range(len(points))):
            day = points[index]
            previous = points[index - 1] if index else 0
            passed = clinic & Q(r_since__gte=day)
            point.append(When(passed, then=Value(day)))
            counts_from.append(When(passed, then=Value(-(-(previous + day) // 2))))
    integer = models.IntegerField()
    return (
        SqlCase(*point, default=None, output_field=integer),
        SqlCase(*counts_from, default=None, output_field=integer),
    )


def _chain_of_change(field: str) -> Q:
    """``field`` (a medication id) is the medication of the change in the outer query's
    outer query, or the one it switched to."""
    return Q(**{field: OuterRef(OuterRef("medication_id"))}) | Q(
        **{field: OuterRef(OuterRef("switched_to_id"))}
    )


def evaluate_checkin_due(today: dt.date, patient_ids: set[int] | None = None) -> Evaluation:
    """Check-ins after a medication start or change with no observation about it since."""
    points_by_clinic = {pk: _days(c.checkin_days, "7,28") for pk, c in _clinics().items()}
    longest = max((p[-1] for p in points_by_clinic.values()), default=28)
    point, counts_from = _checkin_points(points_by_clinic)
    chain = Q(medication_id=OuterRef("medication_id")) | Q(medication_id=OuterRef("switched_to_id"))
    # A later change (already in effect) of the medication or the one switched to takes
    # over with check-ins of its own.
    later = MedicationChange.objects.in_effect().filter(
        chain,
        Q(effective_on__gt=OuterRef("effective_on"))
        | Q(effective_on=OuterRef("effective_on"), pk__gt=OuterRef("pk")),
        kind__in=CHECKIN_KINDS,
        effective_on__lte=today,
    )
    # What counts as an observation about the change (see the package docstring): a
    # shared observation of the patient since the middle of the interval, linked to the
    # medication (or the one switched to), or linked to none and recording an effect.
    links = Medication.observations.through.objects.filter(observation_id=OuterRef("pk"))
    about = Observation.objects.in_effect().filter(
        Exists(links.filter(_chain_of_change("medication_id")))
        | ~Exists(links) & (~Q(adherence="") | ~Q(response="")),
        shared=True,
        case__patient_id=OuterRef("medication__patient_id"),
        observed_on__gte=OuterRef("r_counts_from"),
        observed_on__lte=today,
    )
    changes = (
        MedicationChange.objects.in_effect()
        .filter(
            kind__in=CHECKIN_KINDS,
            effective_on__gte=today - dt.timedelta(days=longest + CHECKIN_GRACE_DAYS),
            effective_on__lte=today,
        )
        .annotate(r_since=_days_between(Value(today), F("effective_on")))
        .annotate(r_point=point, r_offset=counts_from)
        .filter(r_point__isnull=False)
        .annotate(
            r_due_on=_date(F("effective_on") + F("r_point")),
            r_counts_from=_date(F("effective_on") + F("r_offset")),
        )
        .exclude(Exists(later))
        # A start or dose change of a medication stopped before the check-in needs none
        # (the stop has its own).
        .exclude(~Q(kind__in=ENDING_KINDS) & Q(medication__stop_date__lte=F("r_due_on")))
        .exclude(Exists(about))
    )
    if patient_ids is not None:
        changes = changes.filter(medication__patient_id__in=patient_ids)
    rows = _with_team(changes, "medication__patient__cases", THERAPISTS)
    due = _readable_rows(MedicationChange, rows)
    return Evaluation(Kind.CHECKIN_DUE, CHANGE, due, _scope(CHANGE, patient_ids))


def evaluate_quiet_case(today: dt.date, patient_ids: set[int] | None = None) -> Evaluation:
    """Open collaborative cases with no shared observation for the clinic's quiet period,
    whose therapist's observations would reach a prescriber of the case now (without an
    active release, asking the therapist to share is noise)."""
    last_shared = (
        Observation.objects.in_effect()
        .filter(case=OuterRef("pk"), shared=True)
        .order_by("-observed_on")
    )
    base = Greatest(
        Coalesce(Subquery(last_shared.values("observed_on")[:1]), "opened_on"), "opened_on"
    )
    period = F("patient__clinic__quiet_case_days")
    cases = (
        Case.objects.filter(status=Case.Status.OPEN, patient__clinic__quiet_case_days__gt=0)
        .annotate(r_base=_date(base))
        .annotate(r_quiet=_days_between(Value(today), F("r_base")))
        .filter(r_quiet__gte=period)
        .annotate(r_due_on=_date(F("r_base") + F("r_quiet") / period * period))
    )
    if patient_ids is not None:
        cases = cases.filter(patient_id__in=patient_ids)
    # The therapist's shared observations would reach a prescriber of the case now.
    reach = (
        CareTeamMember.objects.reminding()
        .filter(
            case=OuterRef("pk"),
            role_on_case=CareTeamMember.RoleOnCase.PRESCRIBER,
            clinician__user__is_active=True,
        )
        .filter(
            Exists(
                InformationRelease.objects.active_at(timezone.now())
                .between(
                    reader=OuterRef("clinician__user_id"), author=OuterRef(OuterRef("r_recipient"))
                )
                .covering(Category.OBSERVATIONS)
                .filter(patient=OuterRef(OuterRef("patient_id")))
            )
        )
    )
    due = (
        _with_team(cases, "", THERAPISTS)
        .filter(Exists(reach))
        .order_by()
        .values_list("pk", "r_due_on", "r_recipient")
    )
    return Evaluation(Kind.QUIET_CASE, CASE, due, _scope(CASE, patient_ids))


def evaluate_release_expiring(today: dt.date, patient_ids: set[int] | None = None) -> Evaluation:
    """Active releases nearing their expiration date, with no newer release replacing them."""
    notices = {pk: _days(c.release_notice_days, "30,7") for pk, c in _clinics().items()}
    furthest = max((n[-1] for n in notices.values()), default=30)
    # The release's one end instant (expires_at); its last day is the day before.
    last_day = _date(TruncDate("expires_at") - Value(1))
    # The nearest notice that has passed: the smallest number of days at least the days
    # left, per clinic (a handful of clinics, each a few notices).
    notice = SqlCase(
        *[
            When(patient__clinic_id=clinic_id, r_days_left__lte=day, then=Value(day))
            for clinic_id, days in notices.items()
            for day in days
        ],
        default=None,
        output_field=models.IntegerField(),
    )
    others = InformationRelease.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=OuterRef("expires_at")),
        status=InformationRelease.Status.ACTIVE,
        patient_id=OuterRef("patient_id"),
        recipient_id=OuterRef("recipient_id"),
    ).exclude(pk=OuterRef("pk"))
    # A newer active release between the same parties that runs longer replaces it.
    replaced = Q(
        discloser_clinician__isnull=False,
        r_by_clinician=True,
    ) | Q(discloser_clinic__isnull=False, r_by_clinic=True)
    releases = (
        InformationRelease.objects.filter(
            status=InformationRelease.Status.ACTIVE,
            expires_at__gt=start_of_day(today),
            expires_at__lte=start_of_day(today + dt.timedelta(days=furthest + 1)),
        )
        .annotate(r_expires_on=last_day)
        .annotate(r_days_left=_days_between(F("r_expires_on"), Value(today)))
        .annotate(r_notice=notice)
        .filter(r_notice__isnull=False)
        .annotate(
            r_due_on=_date(F("r_expires_on") - F("r_notice")),
            r_by_clinician=Exists(
                others.filter(discloser_clinician_id=OuterRef("discloser_clinician_id"))
            ),
            r_by_clinic=Exists(others.filter(discloser_clinic_id=OuterRef("discloser_clinic_id"))),
        )
        .exclude(replaced)
    )
    if patient_ids is not None:
        releases = releases.filter(patient_id__in=patient_ids)
    team = _with_team(releases, "patient__cases", CLINICIANS)
    admins = releases.filter(
        patient__clinic__clinicians__in=case_selectors.active_clinicians(
            role=Clinician.Role.CLINIC_ADMIN
        )
    ).annotate(r_recipient=F("patient__clinic__clinicians__user_id"))
    fields = ("pk", "r_due_on", "r_recipient")
    due = team.order_by().values_list(*fields).union(admins.order_by().values_list(*fields))
    return Evaluation(Kind.RELEASE_EXPIRING, RELEASE, due, _scope(RELEASE, patient_ids))


class AddWorkingDays(Func):
    """SQL of :func:`add_working_days`: the date ``count`` working days (Monday to
    Friday) after a date. A weekend day counts from the Friday before it (the same
    next working day); from a weekday, every five working days span seven days, and a
    week-end is crossed once more when the weekday plus the rest passes Friday."""

    output_field = models.DateField()

    def as_sql(self, compiler, connection, **extra):
        day, count = (compiler.compile(expression) for expression in self.source_expressions)
        dow = f"EXTRACT(ISODOW FROM {day[0]})::int"
        sql = (
            f"CASE WHEN {count[0]} <= 0 THEN {day[0]} ELSE "
            f"({day[0]} - GREATEST({dow} - 5, 0)) + {count[0]}"
            f" + 2 * ((LEAST({dow}, 5) - 1 + {count[0]}) / 5) END"
        )
        # Each placeholder's parameters, in the order they appear.
        params = [
            *count[1],
            *day[1],
            *day[1],
            *day[1],
            *count[1],
            *day[1],
            *count[1],
        ]
        return sql, params


def evaluate_consult_waiting(today: dt.date, patient_ids: set[int] | None = None) -> Evaluation:
    """Consult questions open for the clinic's number of working days."""
    questions = (
        Message.objects.filter(
            kind=Message.Kind.QUESTION,
            state=Message.State.OPEN,
            case__status=Case.Status.OPEN,
            created_at__lt=start_of_day(today),
        )
        .annotate(
            r_due_on=AddWorkingDays(
                TruncDate("created_at"), F("case__patient__clinic__consult_wait_working_days")
            )
        )
        .filter(r_due_on__lte=today)
    )
    if patient_ids is not None:
        questions = questions.filter(case__patient_id__in=patient_ids)
    # The care team except the asker.
    rows = _with_team(questions, "case", CLINICIANS).filter(~Q(author_id=F("r_recipient")))
    due = _readable_rows(Message, rows)
    return Evaluation(Kind.CONSULT_WAITING, MESSAGE, due, _scope(MESSAGE, patient_ids))


EVALUATORS: dict[str, Callable[[dt.date, set[int] | None], Evaluation]] = {
    Kind.REFILL_DUE: evaluate_refill_due,
    Kind.LATE_REFILL: evaluate_late_refill,
    Kind.CHECKIN_DUE: evaluate_checkin_due,
    Kind.QUIET_CASE: evaluate_quiet_case,
    Kind.RELEASE_EXPIRING: evaluate_release_expiring,
    Kind.CONSULT_WAITING: evaluate_consult_waiting,
}
