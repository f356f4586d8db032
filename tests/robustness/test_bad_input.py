"""The bad-input harness: hypothesis throws text of any length and alphabet, far dates,
wrong types, missing fields, huge uploads and other clinics' ids at every form and every
URL parameter of the app.

It finds the forms by rendering every page of the access matrix as each persona who may
see it, so a new form is covered without editing this file. For every request:
no server error; a refusal shows a clear message; and a refused request loses or
changes nothing that was there before.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import pkgutil
import string

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import NoReverseMatch, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tests.access as access_package
from cases.categories import Category
from tests.access.test_matrix import project_url_names
from tests.conftest import make_world
from tests.releasekit import make_release

from .htmlforms import Field, forms_on

pytestmark = pytest.mark.django_db

MODULES = [
    importlib.import_module(f"tests.access.{info.name}")
    for info in pkgutil.iter_modules(access_package.__path__)
    if info.name.startswith("matrix_")
]
KINDS = {name: kind for module in MODULES for name, kind in module.KINDS.items()}
URLS = [url for module in MODULES for url in module.URLS if url.mode != "post"]
PERSONAS = ["author", "recipient", "clinic_admin"]

# State that only reading changes (access log, disclosures, sessions, lock-out counters,
# read markers) is not "data that was there before".
READ_SIDE_EFFECTS = {
    "auditlog.LogEntry",
    "releases.Disclosure",
    "sessions.Session",
    "axes.AccessAttempt",
    "axes.AccessLog",
    "axes.AccessFailureLog",
}
APPS = {
    "cases",
    "releases",
    "medications",
    "messaging",
    "assessments",
    "alerts",
    "fhir_exchange",
    "auth",
    "guardian",
}

ERROR_MARKERS = ("errorlist", 'class="error"', "Not found", "Bad request", "not allowed")

HARSH_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=string.printable, min_size=200, max_size=5000),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "nul\x00byte",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "💊" * 300,
            "א" * 50,
            "9" * 400,
            "-1",
            "1e309",
            "NaN",
            "0001-01-01",
            "9999-12-31",
            "2026-02-30",
            "../../etc/passwd",
        ]
    ),
)
FAR_DATES = st.one_of(
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)).map(dt.date.isoformat),
    HARSH_TEXT,
)
NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    HARSH_TEXT,
)


def digest() -> dict[str, str]:
    """A fingerprint of every row the app keeps (except read-side effects)."""
    prints = {}
    for model in apps.get_models():
        label = model._meta.label
        if model._meta.app_label not in APPS or label in READ_SIDE_EFFECTS:
            continue
        rows = model._default_manager.order_by("pk").values_list()
        prints[label] = hashlib.sha256(repr(list(rows)).encode()).hexdigest()
    return prints


def value_strategy(field: Field, foreign_ids: list[int]):
    """Hypothesis values for one form field: its real choices, and everything else."""
    wrong_ids = st.sampled_from([str(i) for i in foreign_ids] + ["0", "-5", "99999999999"])
    if field.kind in ("select", "radio"):
        return st.one_of(st.sampled_from(field.options or [""]), wrong_ids, HARSH_TEXT)
    if field.kind in ("multiselect", "checkbox"):
        pool = st.sampled_from(field.options or ["on"])
        return st.one_of(st.lists(st.one_of(pool, wrong_ids), max_size=4), HARSH_TEXT)
    if field.kind == "date":
        return FAR_DATES
    if field.kind in ("datetime-local", "time"):
        return st.one_of(FAR_DATES, st.datetimes().map(lambda d: d.isoformat()))
    if field.kind == "number":
        return NUMBERS
    if field.kind == "file":
        return st.one_of(
            st.binary(max_size=2048).map(lambda b: SimpleUploadedFile("upload.pdf", b)),
            st.just(SimpleUploadedFile("huge.pdf", b"%PDF-" + b"0" * (11 * 1024 * 1024))),
            st.just(SimpleUploadedFile("x.exe", b"MZ\x90\x00")),
        )
    if field.kind == "hidden":
        return st.one_of(st.just(field.value), HARSH_TEXT)
    return HARSH_TEXT


def payloads(fields: dict[str, Field], foreign_ids: list[int]):
    """Whole submissions: each field harsh, its real value, or missing."""
    parts = {
        name: st.one_of(st.none(), value_strategy(field, foreign_ids))
        for name, field in fields.items()
        if name != "csrfmiddlewaretoken"
    }
    return st.fixed_dictionaries(parts).map(
        lambda data: {name: value for name, value in data.items() if value is not None}
    )


def build_world():
    world = make_world()
    objs = {}
    for name, kind in KINDS.items():
        built = kind.build(world, world.author, True)
        if built:
            objs[name] = built[0]
    admin = world.clinic_admin.user
    world.extra["release"] = make_release(
        admin=admin,
        patient=world.patient,
        discloser=world.author,
        recipient=world.recipient,
        state="active",
        scope=list(Category.values),
        mutual=True,
    )
    foreign = [world.other_clinic.pk, world.other_clinic.user.pk, world.other.pk]
    return world, objs, foreign


def pages_with_forms(world, objs):
    """(persona, page path, form) for every page a persona may open that holds a form."""
    found = []
    for url in URLS:
        obj = objs.get(url.kind)
        try:
            path = reverse(url.name, args=url.args(world, obj))
        except (AttributeError, KeyError, NoReverseMatch):
            continue  # a URL about an object this world does not hold
        for persona in PERSONAS:
            client = Client()
            client.force_login(world.user(persona))
            response = client.get(path)
            if response.status_code != 200 or response.streaming:
                continue
            for form in forms_on(response.content.decode(), path):
                found.append((persona, path, form))
            break
    return found


def check_response(response, before, after, label, *, method="post"):
    """No server error; a refusal (a 4xx, or a POST that changed nothing and answered
    with the page again) shows a clear message; a 4xx changed nothing."""
    status = response.status_code
    assert status < 500, f"{label}: server error {status}"
    if 400 <= status < 500:
        assert after == before, f"{label}: refused with {status} but data changed"
    refused = 400 <= status < 500 or (method == "post" and status == 200 and after == before)
    if refused:
        body = response.content.decode(errors="replace")
        assert any(marker in body for marker in ERROR_MARKERS), (
            f"{label}: refused with {response.status_code} and no clear message"
        )


def fuzz_form(client, form, label, foreign) -> None:
    """Send a form many harsh submissions and check each answer."""

    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
    @given(payloads(form.fields, foreign))
    def submit(data):
        before = digest()
        response = client.post(form.action, data)
        check_response(response, before, digest(), label)

    submit()


def fuzz_query(client, path, label) -> None:
    """Send a page's search and filter parameters of every shape."""

    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        st.dictionaries(
            st.sampled_from(["q", "state", "page", "patient", "next", "sort", "kind"]),
            HARSH_TEXT,
            max_size=4,
        )
    )
    def query(params):
        response = client.get(path, params)
        assert response.status_code < 500, f"{label} {params!r}"

    query()


def test_every_form_survives_bad_input():
    world, objs, foreign = build_world()
    targets = [(p, path, f) for p, path, f in pages_with_forms(world, objs) if f.method == "post"]
    assert len(targets) >= 5, "the harness found too few forms: is the matrix empty?"
    for persona, path, form in targets:
        client = Client()
        client.force_login(world.user(persona))
        fuzz_form(client, form, f"{persona} POST {form.action} (from {path})", foreign)


def test_search_and_filter_parameters_survive_anything():
    world, objs, _ = build_world()
    targets = [(p, path) for p, path, f in pages_with_forms(world, objs) if f.method == "get"]
    targets += [("clinic_admin", reverse("releases:list"))]
    for persona, path in targets:
        client = Client()
        client.force_login(world.user(persona))
        fuzz_query(client, path, f"{persona} GET {path}")


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_url_ids_of_anything_never_break_a_page(data):
    world, objs, foreign = _WORLD.get()
    name = data.draw(st.sampled_from(sorted(project_url_names())))

    ids = data.draw(
        st.lists(
            st.one_of(
                st.integers(min_value=0, max_value=2**63 - 1),
                st.sampled_from(foreign + [o.pk for o in objs.values()]),
            ),
            max_size=2,
        )
    )
    try:
        path = reverse(name, args=ids)
    except NoReverseMatch:
        return
    persona = data.draw(st.sampled_from(PERSONAS))
    client = Client()
    client.force_login(world.user(persona))
    method = data.draw(st.sampled_from(["get", "post"]))
    before = digest()
    response = getattr(client, method)(path)
    check_response(response, before, digest(), f"{persona} {method.upper()} {path}", method=method)


class _World:
    """One world for the id test's examples (hypothesis calls the test many times)."""

    def __init__(self):
        self.value = None

    def get(self):
        from cases.models import Clinic

        if self.value is None or not Clinic.objects.filter(pk=self.value[0].clinic.pk).exists():
            self.value = build_world()
        return self.value


_WORLD = _World()


def test_posts_without_a_csrf_token_are_refused_and_change_nothing():
    world, objs, _ = build_world()
    targets = [(p, path, f) for p, path, f in pages_with_forms(world, objs) if f.method == "post"]
    for persona, _path, form in targets:
        client = Client(enforce_csrf_checks=True)
        client.force_login(world.user(persona))
        data = {name: field.value for name, field in form.fields.items()}
        data.pop("csrfmiddlewaretoken", None)
        before = digest()
        response = client.post(form.action, data)
        assert response.status_code == 403, f"{persona} POST {form.action}"
        assert b"form has expired" in response.content
        assert digest() == before
