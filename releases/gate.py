"""The access gate: the one module that decides who may read which shared record.

Rule (DESIGN.md). Clinician U may read shared object O about patient P at time t iff
U wrote O, or O is shared, U is on P's care team, and a release for P is active at t
whose recipient is U, whose discloser is O's author (or that author's clinic), and
whose scope holds O's category. A mutual release also lets the disclosing clinician
read what the recipient writes.

Mechanism. django-guardian object permissions on direct foreign-key tables are the
fast index: they are granted when a shared object is written under an active release
and in bulk when a release activates, and removed when it is revoked or expires. The
read-time check below is the authority: every read also asks that a covering release
be active *now*, so an expired release blocks reads at its expiry instant, before any
sweep has run. Superusers and staff get nothing here: the gate never asks
``has_perm`` (which lets superusers through), it reads the grant rows itself.

"On the care team" (``CareTeamMember.objects``, decided once): *reading* needs
membership of any case of the patient, open or closed (a closed case's history stays
readable to those who treated the patient, under releases in force now); *writing*
needs membership of an open case; *reminders* and new-work notifications go to members
of open cases. The release's direction (who discloses to whom) lives on the release
QuerySet (``releases.models.ReleaseQuerySet``); :func:`covers_of` applies it to rows
already read.

Recording is structural: within a request (:func:`recording_scope`) every row iterated
from :func:`visible` is recorded once at the request's end (access entry, and a
disclosure when read under a release).

Apps declare their shared kinds with :func:`register` (in ``AppConfig.ready``); the
gate imports no app but ``cases``. Registering also fixes each hop of the kind's way
to its patient (``cases.fixity``): the database refuses moving it to another patient.
"""

from __future__ import annotations

import contextlib
import logging
from collections import defaultdict
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from auditlog.models import LogEntry
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models, transaction
from django.db.models import Exists, F, Func, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.query import ModelIterable
from django.http import Http404
from django.utils import timezone
from guardian.shortcuts import assign_perm

from cases import fixity
from cases.categories import Category
from cases.models import CareTeamMember, Clinician

from .models import Disclosure, InformationRelease

logger = logging.getLogger("carecollab.gate")

User = AbstractBaseUser | AnonymousUser


@dataclass(frozen=True)
class SharedKind:
    """How the gate reaches the patient, the author and the category of one model."""

    model: type[models.Model]
    patient_path: str
    author_field: str
    permission_model: type[models.Model]
    label: str
    category: str | None = None
    category_field: str | None = None
    shared_field: str | None = None
    date_field: str = "created_at"
    # A record addressed to one clinician (a referral to a prescriber) may be read by its
    # addressee before they join the care team; everything else about the rule holds.
    addressee_field: str | None = None
    # Text on the row written by someone else than the row's author (a decline reason
    # by the prescriber on the therapist's request): (text field, path to its author's
    # user). Each such text is read under its own author's releases, or withheld.
    text_authors: tuple[tuple[str, str], ...] = ()

    @property
    def perm(self) -> str:
        return f"{self.model._meta.app_label}.view_{self.model._meta.model_name}"

    @property
    def categories(self) -> list[str]:
        return [self.category] if self.category else list(Category.values)

    def category_of(self, obj: models.Model) -> str:
        return self.category or getattr(obj, self.category_field)

    def patient_id_of(self, obj: models.Model) -> int:
        value = obj
        for part in self.patient_path.split("__"):
            value = getattr(value, part)
        return value.pk

    def is_shared(self, obj: models.Model) -> bool:
        return True if self.shared_field is None else bool(getattr(obj, self.shared_field))

    def shared_q(self, prefix: str = "") -> Q:
        if self.shared_field is None:
            return Q()
        return Q(**{f"{prefix}{self.shared_field}": True})


_registry: dict[type[models.Model], SharedKind] = {}


def register(
    model: type[models.Model],
    *,
    patient_path: str,
    author_field: str,
    permission_model: type[models.Model],
    label: str,
    category: str | None = None,
    category_field: str | None = None,
    shared_field: str | None = None,
    date_field: str = "created_at",
    addressee_field: str | None = None,
    text_authors: dict[str, str] | None = None,
) -> None:
    """Declare ``model`` as shared PHI: how to reach its patient, author and category
    (and, in ``text_authors``, the author of each text on it written by someone else)."""
    if (category is None) == (category_field is None):
        raise ValueError("Give either a fixed category or a category_field.")
    if category is not None and category not in Category.values:
        raise ValueError(f"Unknown category {category!r}.")
    # The record's way to its patient is fixed once written (cases.fixity).
    fixity.fix_path(model, patient_path)
    _registry[model] = SharedKind(
        model=model,
        patient_path=patient_path,
        author_field=author_field,
        permission_model=permission_model,
        label=label,
        category=category,
        category_field=category_field,
        shared_field=shared_field,
        date_field=date_field,
        addressee_field=addressee_field,
        text_authors=tuple((text_authors or {}).items()),
    )


def kinds() -> list[SharedKind]:
    """Every registered shared kind."""
    return list(_registry.values())


def kind_of(model: type[models.Model]) -> SharedKind:
    try:
        return _registry[model]
    except KeyError:
        raise LookupError(f"{model.__name__} is not registered with the gate.") from None


# --- who may read: the read-time check ------------------------------------------


def _clinician_reader(user: User) -> bool:
    """Only signed-in clinicians (prescribers and therapists) read clinical records."""
    if not user.is_authenticated or not user.is_active:
        return False
    clinician = getattr(user, "clinician", None)
    return clinician is not None and clinician.role != Clinician.Role.CLINIC_ADMIN


def covering_release(*, reader, author, patient, category: str, when=None) -> Subquery:
    """Subquery: the id of a release active at ``when`` under which ``reader`` may read
    what ``author`` writes about ``patient`` in ``category`` (the release part of the
    rule as :func:`visible` applies it; the care team and the grants are checked there).

    ``reader``, ``author`` and ``patient`` are ids, instances or ``OuterRef``s, so one rule
    answers both "annotate these rows" and "would a record written now reach this reader?"
    (who may post in a case thread, which referrals still wait for a release).
    """
    releases = (
        InformationRelease.objects.active_at(when or timezone.now())
        .between(reader=reader, author=author)
        .covering(category)
        .filter(patient=patient)
        .order_by("pk")
        .values("pk")[:1]
    )
    return Subquery(releases, output_field=models.BigIntegerField())


class InRows(Func):
    """``(a, b, ...) IN (SELECT x, y, ...)``: whether a row of values is among the rows of
    a query. PostgreSQL hashes the query's rows once, so matching many rows costs one
    pass over each side, not a lookup per row."""

    output_field = models.BooleanField()

    def __init__(self, row: list, rows: QuerySet):
        rows = rows.order_by()  # a set: no ORDER BY to sort
        super().__init__(*row, Subquery(rows, output_field=models.BigIntegerField()))

    def as_sql(self, compiler, connection, **extra):
        *row, rows = self.source_expressions
        parts, params = [], []
        for expression in row:
            sql, expression_params = compiler.compile(expression)
            parts.append(sql)
            params += expression_params
        rows_sql, rows_params = compiler.compile(rows)
        return f"({', '.join(parts)}) IN {rows_sql}", [*params, *rows_params]


def readable_by(
    model: type[models.Model], queryset: QuerySet, *, reader: str, when=None
) -> QuerySet:
    """The rows of ``queryset`` whose reader may read them at ``when`` (default: now).

    Each row names its reader's user id in ``reader`` (a field or an annotation), so one
    SQL query asks the rule of :func:`visible` for many (record, reader) pairs at once:
    the reader is an active clinician (not a clinic admin) and either wrote the record,
    or the record is shared, the reader is on its patient's care team, holds the grant
    row, and a release active at ``when`` covers it. Every part is a set of id tuples
    read once (releases, care teams, grants), matched by hashing, not a query per row;
    the reminder sweeps ask it of every subject and recipient in one pass.
    """
    kind = kind_of(model)
    when = when or timezone.now()
    reader_id = F(reader)
    patient_id = F(f"{kind.patient_path}_id")
    author_id = F(f"{kind.author_field}_id")

    covered = Q()
    for category in kind.categories:
        term = Q()
        releases = InformationRelease.objects.active_at(when).covering(category)
        for pairs in releases.reader_author_pairs():
            term |= Q(InRows([reader_id, patient_id, author_id], pairs))
        if kind.category_field:
            term &= Q(**{kind.category_field: category})
        covered |= term
    clinicians = Clinician.objects.filter(user__is_active=True).exclude(
        role=Clinician.Role.CLINIC_ADMIN
    )
    team = CareTeamMember.objects.reading().values_list("clinician__user_id", "case__patient_id")
    readable = Q(InRows([reader_id, patient_id], team))
    if kind.addressee_field:
        readable |= Q(**{f"{kind.addressee_field}_id": reader_id})
    grants = kind.permission_model.objects.values_list("user_id", "content_object_id")
    granted = InRows([reader_id, F("pk")], grants)
    own = Q(**{f"{kind.author_field}_id": reader_id})
    return queryset.filter(
        Q(**{f"{reader}__in": clinicians.values("user_id")}),
        own | (kind.shared_q() & readable & Q(granted) & covered),
    )


def readers_of_new_record(author, patient, category: str, *, when=None) -> QuerySet:
    """The users, besides ``author``, who may read a shared record ``author`` writes now
    about ``patient`` in ``category``: clinicians on the patient's care team with a
    release in force from the author to them (for "who will read this" on forms).
    One query; the same rule as :func:`visible`."""
    from django.contrib.auth import get_user_model

    when = when or timezone.now()
    reader = OuterRef("pk")
    on_team = CareTeamMember.objects.reading().filter(case__patient=patient, clinician__user=reader)
    released = (
        InformationRelease.objects.active_at(when)
        .between(reader=reader, author=author)
        .covering(category)
        .filter(patient=patient)
    )
    return (
        get_user_model()
        .objects.filter(Exists(on_team), Exists(released), is_active=True)
        .exclude(clinician__role=Clinician.Role.CLINIC_ADMIN)
        .exclude(pk=getattr(author, "pk", author))
    )


@dataclass(frozen=True)
class Cover:
    """What one release active now lets one reader read: shared records about
    ``patient_id`` in ``categories`` written by ``author_id`` or, for a release from a
    whole clinic, by any clinician of ``clinic_id``."""

    release_id: int
    patient_id: int
    categories: frozenset
    reader_id: int
    author_id: int | None = None
    clinic_id: int | None = None

    def reaches(self, *, author_id, author_clinic_id, category) -> bool:
        """Whether a record by this author in this category is read under it."""
        if category not in self.categories:
            return False
        if self.author_id is not None:
            return self.author_id == author_id
        return self.clinic_id is not None and self.clinic_id == author_clinic_id


# The release fields :func:`covers_of` reads (one ``values()`` list for every caller).
COVER_FIELDS = (
    "pk",
    "patient_id",
    "mutual",
    "discloser_clinic_id",
    "recipient__user_id",
    "discloser_clinician__user_id",
    *(f"scope_{category}" for category in Category.values),
)


def covers_of(row: dict) -> list[Cover]:
    """The covers of one release row (``values(*COVER_FIELDS)``): the recipient reads
    the discloser (or the disclosing clinic); under a mutual release the discloser
    reads the recipient too. The direction as :meth:`ReleaseQuerySet.between` states it,
    for rows already read."""
    categories = frozenset(c for c in Category.values if row[f"scope_{c}"])
    discloser = row["discloser_clinician__user_id"]
    recipient = row["recipient__user_id"]
    covers = [
        Cover(
            release_id=row["pk"],
            patient_id=row["patient_id"],
            categories=categories,
            reader_id=recipient,
            author_id=discloser,
            clinic_id=None if discloser else row["discloser_clinic_id"],
        )
    ]
    if row["mutual"] and discloser:
        covers.append(
            Cover(
                release_id=row["pk"],
                patient_id=row["patient_id"],
                categories=categories,
                reader_id=discloser,
                author_id=recipient,
            )
        )
    return covers


@dataclass(frozen=True)
class Reader:
    """A reader's covers at one instant, and the patients whose care team they are on."""

    user_id: int
    covers: tuple[Cover, ...]
    care_team_patients: frozenset
    when: datetime

    def release_for(self, *, patient_id, author_id, author_clinic_id, category) -> int | None:
        """The release under which a record is read, or None."""
        for cover in self.covers:
            if cover.patient_id == patient_id and cover.reaches(
                author_id=author_id, author_clinic_id=author_clinic_id, category=category
            ):
                return cover.release_id
        return None


# Within one request the reader's covers are read once (the request is the instant of
# the read); outside requests (services, tasks, tests) every call reads them afresh.
_request_readers: ContextVar[dict | None] = ContextVar("gate_request_readers", default=None)


@contextlib.contextmanager
def read_scope():
    """One instant of reading: within it, each reader's releases and care teams are read
    once (a request is one; a selector that reads several kinds may open one). Nested
    scopes share the outer one."""
    if _request_readers.get() is not None:
        yield
        return
    token = _request_readers.set({})
    try:
        yield
    finally:
        _request_readers.reset(token)


# Reads waiting to be recorded: user id -> (user, {(model label, pk): obj}); None
# outside a recording scope (then every read is recorded at once).
_pending_reads: ContextVar[dict | None] = ContextVar("gate_pending_reads", default=None)


@contextlib.contextmanager
def recording_scope():
    """Within it, every row read through :func:`visible` (iterated: listed, rendered,
    exported) and every :func:`record_reads` call is collected, and all are recorded
    in bulk when the scope ends (a request is one scope): recording is structural, so
    no page can show a gated row it did not record. Nested scopes share the outer one."""
    if _pending_reads.get() is not None:
        yield
        return
    pending: dict = {}
    token = _pending_reads.set(pending)
    try:
        yield
    finally:
        _pending_reads.reset(token)
        for user, objects in pending.values():
            _write_reads(user, objects.values())


def _collect(pending: dict, user: User, objects: Iterable[models.Model]) -> None:
    _, seen = pending.setdefault(user.pk, (user, {}))
    for obj in objects:
        key = (obj._meta.label, obj.pk)
        # One entry per row; the copy read under a release says which release.
        if key not in seen or getattr(obj, "gate_release_id", None) is not None:
            seen[key] = obj


class RequestCacheMiddleware:
    """Each request is one read scope and one recording scope: the reader's releases
    are read once, and every gated row the request read is recorded once, at its end."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with read_scope(), recording_scope():
            return self.get_response(request)


def reader_at(user: User, when=None) -> Reader:
    """The releases active at ``when`` that let ``user`` read, and their care teams
    (two queries; once per request)."""
    cache = _request_readers.get()
    if when is None and cache is not None and user.pk in cache:
        return cache[user.pk]
    instant = when or timezone.now()
    rows = InformationRelease.objects.active_at(instant).readable_by(user).values(*COVER_FIELDS)
    covers = [cover for row in rows for cover in covers_of(row) if cover.reader_id == user.pk]
    team = CareTeamMember.objects.reading().filter(clinician__user=user)
    reader = Reader(
        user_id=user.pk,
        covers=tuple(covers),
        care_team_patients=frozenset(team.values_list("case__patient_id", flat=True)),
        when=instant,
    )
    if when is None and cache is not None:
        cache[user.pk] = reader
    return reader


class _GatedIterable(ModelIterable):
    """Sets ``gate_release_id`` on each row read through :func:`visible`, and collects
    the row for recording when a recording scope is open (each request is one)."""

    def __iter__(self):
        resolve = self.queryset._hints.get("carecollab_gate")
        reader = self.queryset._hints.get("carecollab_gate_reader")
        pending = _pending_reads.get()
        for obj in super().__iter__():
            if resolve is not None:
                obj.gate_release_id = resolve(obj)
            if pending is not None and reader is not None:
                _collect(pending, reader, [obj])
            yield obj


def _covered(kind: SharedKind, reader: Reader, *, patients_limit: frozenset | None) -> Q:
    """Rows that the reader's covers reach, as one compact condition: per disclosing
    author (or clinic) and category, the patients it covers."""
    groups: dict[tuple, set[int]] = defaultdict(set)
    for cover in reader.covers:
        for category in cover.categories.intersection(kind.categories):
            if patients_limit is None or cover.patient_id in patients_limit:
                groups[(cover.author_id, cover.clinic_id, category)].add(cover.patient_id)
    condition = Q()
    for (author_id, clinic_id, category), patients in groups.items():
        if author_id is not None:
            term = Q(**{kind.author_field: author_id})
        else:
            term = Q(**{f"{kind.author_field}__clinician__clinic_id": clinic_id})
        if kind.category_field:
            term &= Q(**{kind.category_field: category})
        condition |= term & Q(**{f"{kind.patient_path}__in": sorted(patients)})
    return condition


def visible(
    user: User, model: type[models.Model], queryset: QuerySet | None = None, *, when=None
) -> QuerySet:
    """The rows of ``model`` that ``user`` may read at ``when`` (default: now).

    Rows read under a release carry ``gate_release_id`` (None for the author's own).
    Filters, joins and slices may be applied to ``queryset`` before or after.

    The releases in force are read first (a handful of rows), so the row condition is
    plain SQL on indexed columns: no correlated subquery per row, whatever the table
    size. The grant rows (guardian) are required as well.
    """
    kind = kind_of(model)
    queryset = model._default_manager.all() if queryset is None else queryset
    if not _clinician_reader(user):
        return queryset.none()
    reader = reader_at(user, when)
    own = Q(**{kind.author_field: user})
    readable = _covered(kind, reader, patients_limit=reader.care_team_patients)
    if kind.addressee_field:
        addressed = _covered(kind, reader, patients_limit=None)
        if addressed:
            readable |= Q(**{kind.addressee_field: user}) & addressed
    condition = own
    if readable:
        granted = Q(
            pk__in=kind.permission_model.objects.filter(user=user).values("content_object_id")
        )
        condition = own | (kind.shared_q() & readable & granted)
    needs_clinic = any(cover.clinic_id for cover in reader.covers)
    annotations = {"gate_patient_id": F(kind.patient_path)}
    if needs_clinic:
        annotations["gate_author_clinic_id"] = F(f"{kind.author_field}__clinician__clinic_id")
    for index, (_, by) in enumerate(kind.text_authors):
        annotations[f"gate_text_by_{index}"] = F(by)
        if needs_clinic:
            annotations[f"gate_text_clinic_{index}"] = F(f"{by}__clinician__clinic_id")
    gated = queryset.annotate(**annotations).filter(condition)
    gated._iterable_class = _GatedIterable

    def release_of(obj, author_id, author_clinic_id) -> int | None:
        return reader.release_for(
            patient_id=obj.gate_patient_id,
            author_id=author_id,
            author_clinic_id=author_clinic_id,
            category=kind.category_of(obj),
        )

    def resolve(obj):
        author_id = getattr(obj, f"{kind.author_field}_id")
        obj.gate_text_releases = {}
        for index, (text_field, _) in enumerate(kind.text_authors):
            by = getattr(obj, f"gate_text_by_{index}")
            if by is None or by in (user.pk, author_id):
                continue
            release = None
            if obj.gate_patient_id in reader.care_team_patients:
                release = release_of(obj, by, getattr(obj, f"gate_text_clinic_{index}", None))
            if release is None:
                # Withheld: no release lets this reader read that author's text.
                setattr(obj, text_field, "")
                obj.gate_withheld = {*getattr(obj, "gate_withheld", ()), text_field}
            else:
                obj.gate_text_releases[text_field] = release
        if author_id == user.pk:
            return None
        return release_of(obj, author_id, getattr(obj, "gate_author_clinic_id", None))

    gated._hints = {**gated._hints, "carecollab_gate": resolve, "carecollab_gate_reader": user}
    return gated


def refuse(user: User, model: type[models.Model], pk, *, reason: str = "not visible") -> Http404:
    """Log a refused read (ids only, never PHI) and return the 404 to raise."""
    logger.warning(
        "gate refused read: user=%s model=%s pk=%s reason=%s",
        getattr(user, "pk", None),
        model._meta.label,
        pk,
        reason,
    )
    return Http404("Not found.")


def get_for_user(
    user: User, model: type[models.Model], pk, *, queryset: QuerySet | None = None
) -> models.Model:
    """Fetch one row ``user`` may read, or raise 404 (logged) alike for missing and hidden."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise refuse(user, model, pk, reason="bad id") from None
    obj = visible(user, model, queryset).filter(pk=pk).first()
    if obj is None:
        raise refuse(user, model, pk)
    return obj


def get_own_for_user(user: User, model: type[models.Model], pk) -> models.Model:
    """Fetch a row ``user`` wrote (for edits), or 404 alike for missing and not theirs."""
    kind = kind_of(model)
    obj = get_for_user(user, model, pk)
    if getattr(obj, f"{kind.author_field}_id") != user.pk:
        raise refuse(user, model, pk, reason="not the author")
    return obj


def can_read(user: User, obj: models.Model, *, when=None) -> bool:
    """Whether ``user`` may read ``obj`` now: the same rule as :func:`visible`."""
    return visible(user, type(obj), when=when).filter(pk=obj.pk).exists()


# --- recording reads: access log and disclosures ----------------------------------


def record_reads(user: User, objects: Iterable[models.Model]) -> None:
    """Record reads of rows returned by :func:`visible`: one access entry each and, for
    rows read under a release, a disclosure. Within a recording scope (a request) they
    join the scope's reads, recorded once at its end; outside one, at once. Rows
    iterated from :func:`visible` within a request are recorded without this call."""
    pending = _pending_reads.get()
    if pending is not None:
        _collect(pending, user, objects)
        return
    _write_reads(user, objects)


def _write_reads(user: User, objects: Iterable[models.Model]) -> None:
    """Write the access entries and disclosures: two queries, whatever the count."""
    objects = list(objects)
    if not objects:
        return
    now = timezone.now()
    from django.contrib.contenttypes.models import ContentType

    entries = []
    disclosures = []
    for obj in objects:
        kind = kind_of(type(obj))
        entries.append(
            LogEntry(
                content_type=ContentType.objects.get_for_model(obj),
                object_pk=str(obj.pk),
                object_id=obj.pk,
                object_repr=str(obj)[:200],
                action=LogEntry.Action.ACCESS,
                actor=user,
                timestamp=now,
                changes={},
            )
        )
        # The row under its author's release, and each text on it by another author
        # under that author's release.
        release_ids = {getattr(obj, "gate_release_id", None)}
        release_ids |= set(getattr(obj, "gate_text_releases", {}).values())
        release_ids.discard(None)
        # The patient as visible() annotated it: no query per row.
        patient_id = getattr(obj, "gate_patient_id", None) if release_ids else None
        for release_id in sorted(release_ids):
            disclosures.append(
                Disclosure(
                    release_id=release_id,
                    patient_id=patient_id or kind.patient_id_of(obj),
                    recipient=user,
                    category=kind.category_of(obj),
                    object_label=str(obj)[:60],
                    object_model=obj._meta.label,
                    object_id=obj.pk,
                    disclosed_at=now,
                )
            )
    LogEntry.objects.bulk_create(entries)
    if disclosures:
        Disclosure.objects.bulk_create(disclosures, ignore_conflicts=True)


def read_one(
    user: User, model: type[models.Model], pk, *, queryset: QuerySet | None = None
) -> models.Model:
    """Fetch one row for reading and record the read."""
    obj = get_for_user(user, model, pk, queryset=queryset)
    record_reads(user, [obj])
    return obj


# --- grants: the guardian index ---------------------------------------------------


def _covers_of_patients(patient_ids: list[int], when) -> dict[int, list[Cover]]:
    """patient id -> the covers of the releases active at ``when``."""
    rows = (
        InformationRelease.objects.active_at(when)
        .filter(patient_id__in=patient_ids)
        .values(*COVER_FIELDS)
    )
    by_patient: dict[int, list[Cover]] = defaultdict(list)
    for row in rows:
        by_patient[row["patient_id"]].extend(covers_of(row))
    return by_patient


def _readers_of(row: dict, covers: list[Cover]) -> set[int]:
    """Who, besides its author, the covers let read one shared row."""
    readers = {
        cover.reader_id
        for cover in covers
        if cover.reaches(
            author_id=row["author"], author_clinic_id=row["clinic"], category=row["category"]
        )
    }
    readers.discard(row["author"])
    return readers


@transaction.atomic
def grants_rebuild(patient_ids: Iterable[int], *, when=None, batch: int = 500) -> int:
    """Make the guardian rows of these patients' shared records match the releases
    active at ``when``: grant what is covered, remove what is not. A few queries per
    kind and batch of patients, whatever their number (release activation, revocation,
    expiry, and rebuilding the index after an import or a restore).

    It writes guardian's direct-FK rows in bulk rather than one ``assign_perm`` call
    per object; the rows are the same."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    when = when or timezone.now()
    patient_ids = sorted(set(patient_ids))
    changed = 0
    for start in range(0, len(patient_ids), batch):
        chunk = patient_ids[start : start + batch]
        releases = _covers_of_patients(chunk, when)
        for kind in kinds():
            permission = Permission.objects.get(
                content_type=ContentType.objects.get_for_model(kind.model),
                codename=f"view_{kind.model._meta.model_name}",
            )
            # Prefixed names: an alias may not shadow a field of the model.
            values = {
                "g_patient": F(kind.patient_path),
                "g_author": F(kind.author_field),
                "g_clinic": F(f"{kind.author_field}__clinician__clinic_id"),
                "g_category": F(kind.category_field) if kind.category_field else Value(""),
            }
            rows = (
                kind.model._default_manager.filter(
                    kind.shared_q(), **{f"{kind.patient_path}__in": chunk}
                )
                .values("pk", **values)
                .iterator(chunk_size=5000)
            )
            desired = set()
            for values_row in rows:
                row = {
                    "pk": values_row["pk"],
                    "author": values_row["g_author"],
                    "clinic": values_row["g_clinic"],
                    "category": values_row["g_category"] or kind.category,
                }
                for reader in _readers_of(row, releases.get(values_row["g_patient"], [])):
                    desired.add((reader, row["pk"]))
            existing = {
                (user_id, object_id): pk
                for pk, user_id, object_id in kind.permission_model.objects.filter(
                    **{f"content_object__{kind.patient_path}__in": chunk}
                ).values_list("pk", "user_id", "content_object_id")
            }
            stale = [pk for pair, pk in existing.items() if pair not in desired]
            if stale:
                kind.permission_model.objects.filter(pk__in=stale).delete()
            missing = [
                kind.permission_model(
                    user_id=user_id, content_object_id=object_id, permission=permission
                )
                for user_id, object_id in desired - set(existing)
            ]
            kind.permission_model.objects.bulk_create(
                missing, batch_size=5000, ignore_conflicts=True
            )
            changed += len(stale) + len(missing)
    return changed


def grants_sync_for_patient(patient_id: int, *, when=None) -> None:
    """Make one patient's grants match the releases active at ``when``."""
    grants_rebuild([patient_id], when=when)


def grants_for_new_object(obj: models.Model) -> None:
    """Grant read access to a just-written shared object under the releases active now
    (a few queries, whatever the size of the patient's record)."""
    from django.contrib.auth import get_user_model

    kind = kind_of(type(obj))
    if not kind.is_shared(obj):
        return
    patient_id = kind.patient_id_of(obj)
    author = getattr(obj, kind.author_field)
    row = {
        "pk": obj.pk,
        "author": author.pk,
        "clinic": getattr(getattr(author, "clinician", None), "clinic_id", None),
        "category": kind.category_of(obj),
    }
    releases = _covers_of_patients([patient_id], timezone.now()).get(patient_id, [])
    for reader in get_user_model().objects.filter(pk__in=_readers_of(row, releases)):
        assign_perm(kind.perm, reader, obj)


def grants_remove_for_object(obj: models.Model) -> None:
    """Remove every grant on an object (it became private)."""
    kind = kind_of(type(obj))
    kind.permission_model.objects.filter(content_object=obj).delete()


def readable_object_ids_for(user: User, model: type[models.Model]) -> QuerySet:
    """Object ids with a grant row for ``user`` (the index alone, without the live check)."""
    kind = kind_of(model)
    return kind.permission_model.objects.filter(user=user).values("content_object_id")
