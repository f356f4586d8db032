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

Apps declare their shared kinds with :func:`register` (in ``AppConfig.ready``); the
gate imports no app but ``cases``.
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
from django.db.models import F, Q, QuerySet, Subquery, Value
from django.db.models.query import ModelIterable
from django.http import Http404
from django.utils import timezone
from guardian.shortcuts import assign_perm

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
) -> None:
    """Declare ``model`` as shared PHI: how to reach its patient, author and category."""
    if (category is None) == (category_field is None):
        raise ValueError("Give either a fixed category or a category_field.")
    if category is not None and category not in Category.values:
        raise ValueError(f"Unknown category {category!r}.")
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
    when = when or timezone.now()
    forward = Q(recipient__user=reader) & (
        Q(discloser_clinician__user=author) | Q(discloser_clinic__clinicians__user=author)
    )
    backward = Q(mutual=True, discloser_clinician__user=reader, recipient__user=author)
    releases = (
        InformationRelease.objects.active_at(when)
        .filter(forward | backward, patient=patient)
        .filter(**{f"scope_{category}": True})
        .order_by("pk")
        .values("pk")[:1]
    )
    return Subquery(releases, output_field=models.BigIntegerField())


@dataclass(frozen=True)
class Cover:
    """What one release active now lets a reader read: shared records about
    ``patient_id`` in ``categories`` written by ``author_id`` or, for a release from a
    whole clinic, by any clinician of ``clinic_id``."""

    release_id: int
    patient_id: int
    categories: frozenset
    author_id: int | None = None
    clinic_id: int | None = None


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
            if cover.patient_id != patient_id or category not in cover.categories:
                continue
            if cover.author_id is not None and cover.author_id == author_id:
                return cover.release_id
            if cover.clinic_id is not None and cover.clinic_id == author_clinic_id:
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


class RequestCacheMiddleware:
    """Each request is one read scope."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with read_scope():
            return self.get_response(request)


def reader_at(user: User, when=None) -> Reader:
    """The releases active at ``when`` that let ``user`` read, and their care teams
    (two queries; once per request)."""
    cache = _request_readers.get()
    if when is None and cache is not None and user.pk in cache:
        return cache[user.pk]
    instant = when or timezone.now()
    scope_fields = [f"scope_{category}" for category in Category.values]
    rows = (
        InformationRelease.objects.active_at(instant)
        .filter(Q(recipient__user=user) | Q(mutual=True, discloser_clinician__user=user))
        .values(
            "pk",
            "patient_id",
            "mutual",
            "discloser_clinic_id",
            "recipient__user_id",
            "discloser_clinician__user_id",
            *scope_fields,
        )
    )
    covers = []
    for row in rows:
        categories = frozenset(c for c in Category.values if row[f"scope_{c}"])
        discloser = row["discloser_clinician__user_id"]
        if row["recipient__user_id"] == user.pk:
            covers.append(
                Cover(
                    release_id=row["pk"],
                    patient_id=row["patient_id"],
                    categories=categories,
                    author_id=discloser,
                    clinic_id=None if discloser else row["discloser_clinic_id"],
                )
            )
        if row["mutual"] and discloser == user.pk:
            covers.append(
                Cover(
                    release_id=row["pk"],
                    patient_id=row["patient_id"],
                    categories=categories,
                    author_id=row["recipient__user_id"],
                )
            )
    team = CareTeamMember.objects.filter(clinician__user=user).values_list(
        "case__patient_id", flat=True
    )
    reader = Reader(
        user_id=user.pk,
        covers=tuple(covers),
        care_team_patients=frozenset(team),
        when=instant,
    )
    if when is None and cache is not None:
        cache[user.pk] = reader
    return reader


class _GatedIterable(ModelIterable):
    """Sets ``gate_release_id`` on each row read through :func:`visible`."""

    def __iter__(self):
        resolve = self.queryset._hints.get("carecollab_gate")
        for obj in super().__iter__():
            if resolve is not None:
                obj.gate_release_id = resolve(obj)
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
    gated = queryset.annotate(**annotations).filter(condition)
    gated._iterable_class = _GatedIterable

    def resolve(obj):
        author_id = getattr(obj, f"{kind.author_field}_id")
        if author_id == user.pk:
            return None
        return reader.release_for(
            patient_id=obj.gate_patient_id,
            author_id=author_id,
            author_clinic_id=getattr(obj, "gate_author_clinic_id", None),
            category=kind.category_of(obj),
        )

    gated._hints = {**gated._hints, "carecollab_gate": resolve}
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
    rows read under a release, a disclosure. Two queries, whatever the count."""
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
        release_id = getattr(obj, "gate_release_id", None)
        if release_id is not None:
            disclosures.append(
                Disclosure(
                    release_id=release_id,
                    patient_id=kind.patient_id_of(obj),
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


def _covers_of_patients(patient_ids: list[int], when) -> dict[int, list[dict]]:
    """patient id -> the releases active at ``when`` (as plain dicts)."""
    scope_fields = [f"scope_{category}" for category in Category.values]
    rows = (
        InformationRelease.objects.active_at(when)
        .filter(patient_id__in=patient_ids)
        .values(
            "patient_id",
            "mutual",
            "discloser_clinic_id",
            "recipient__user_id",
            "discloser_clinician__user_id",
            *scope_fields,
        )
    )
    by_patient: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        row["categories"] = {c for c in Category.values if row[f"scope_{c}"]}
        by_patient[row["patient_id"]].append(row)
    return by_patient


def _readers_of(row: dict, releases: list[dict]) -> set[int]:
    """Who, besides its author, the releases let read one shared row."""
    readers = set()
    for release in releases:
        if row["category"] not in release["categories"]:
            continue
        discloser = release["discloser_clinician__user_id"]
        if discloser == row["author"] or (
            discloser is None and release["discloser_clinic_id"] == row["clinic"]
        ):
            readers.add(release["recipient__user_id"])
        if release["mutual"] and discloser and release["recipient__user_id"] == row["author"]:
            readers.add(discloser)
    readers.discard(row["author"])
    return readers


def readers_of_new_record(*, author, patient_id: int, category: str, when=None) -> list:
    """Who, besides ``author``, could read a shared record ``author`` writes now about the
    patient in ``category``: the active clinicians of the patient's care team whom a
    release active at ``when`` covers (the same rule as the grants and :func:`visible`),
    in name order. Empty: nobody would read it."""
    from django.contrib.auth import get_user_model

    when = when or timezone.now()
    row = {
        "pk": None,
        "author": author.pk,
        "clinic": getattr(getattr(author, "clinician", None), "clinic_id", None),
        "category": category,
    }
    ids = _readers_of(row, _covers_of_patients([patient_id], when).get(patient_id, []))
    if not ids:
        return []
    return list(
        get_user_model()
        .objects.filter(
            pk__in=ids,
            is_active=True,
            clinician__memberships__case__patient_id=patient_id,
        )
        .exclude(clinician__role=Clinician.Role.CLINIC_ADMIN)
        .select_related("clinician")
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )


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
