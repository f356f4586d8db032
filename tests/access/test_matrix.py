"""The access matrix: every persona x every shared kind x every PHI URL x every release
state, against the one declarative table in ``table.py``.

A refusal is a 404 (a redirect to sign-in for the anonymous), shows no clinical text and
no patient name, and is logged.
"""

import importlib
import logging
import pkgutil

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cases.categories import Category
from tests.conftest import PERSONAS, make_world
from tests.releasekit import make_release

from . import table
from .table import OBJECTS, STATES, WRITERS, may_read

pytestmark = pytest.mark.django_db

MODULES = [
    importlib.import_module(f"tests.access.{info.name}")
    for info in pkgutil.iter_modules([__file__.rsplit("/", 1)[0]])
    if info.name.startswith("matrix_")
]
KINDS = {name: kind for module in MODULES for name, kind in module.KINDS.items()}
URLS = [url for module in MODULES for url in module.URLS]
NOT_PHI = {name: why for module in MODULES for name, why in module.NOT_PHI.items()}


def project_url_names() -> set[str]:
    names = set()

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue  # Django admin: no clinical models are registered there.
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(f"{namespace}{pattern.name}")

    walk(get_resolver().url_patterns, "")
    return names


def test_every_url_is_in_the_matrix():
    covered = {url.name for url in URLS} | set(NOT_PHI)
    missing = project_url_names() - covered
    assert not missing, f"URLs not in the access matrix: {sorted(missing)}"
    unknown = covered - project_url_names()
    assert not unknown, f"The matrix names URLs that do not exist: {sorted(unknown)}"


def test_every_shared_kind_is_in_the_matrix():
    from releases import gate

    labels = {kind.label for kind in gate.kinds()}
    assert labels <= set(KINDS), f"Shared kinds without a matrix entry: {labels - set(KINDS)}"


class Check:
    def __init__(self, world, caplog):
        self.world = world
        self.caplog = caplog
        self.failures: list[str] = []
        self.clients: dict[str, Client] = {}

    def client(self, persona):
        if persona not in self.clients:
            client = Client()
            if persona != "anonymous":
                client.force_login(self.world.user(persona))
            self.clients[persona] = client
        return self.clients[persona]

    def request(self, persona, url, method="get"):
        self.caplog.clear()
        response = getattr(self.client(persona), method)(url)
        body = response.content.decode(errors="replace") if not response.streaming else ""
        logged = any(r.name.startswith("carecollab") for r in self.caplog.records)
        return response, body, logged

    def fail(self, persona, url, message):
        self.failures.append(f"{persona:>18} {url}: {message}")

    def expect_refused(self, persona, url, response, body, logged, markers):
        if persona == "anonymous":
            if response.status_code != 302 or "/accounts/login/" not in response["Location"]:
                self.fail(persona, url, f"expected a sign-in redirect, got {response.status_code}")
            return
        if response.status_code != 404:
            self.fail(persona, url, f"expected 404, got {response.status_code}")
        if not logged:
            self.fail(persona, url, "refusal was not logged")
        if self.world.patient.family_name in body:
            self.fail(persona, url, "refusal shows the patient's name")
        for marker in markers:
            if marker in body:
                self.fail(persona, url, "refusal shows clinical text")


def matrix_world(kind_name: str, state: str):
    """The world of one kind in one release state: (world, objects, markers)."""
    kind = KINDS[kind_name]
    world = make_world()
    objs, markers = {}, {}

    def build(key):
        if key == "private" and not kind.has_private:
            return
        built = kind.build(world, getattr(world, WRITERS[key]), key != "private")
        if built is not None:
            objs[key], markers[key] = built

    for key in OBJECTS:
        if key != "late_by_author":
            build(key)
    admin = world.clinic_admin.user
    world.extra["release"] = make_release(
        admin=admin,
        patient=world.patient,
        discloser=world.author,
        recipient=world.recipient,
        state=state,
        scope=[kind.category],
    )
    make_release(
        admin=admin,
        patient=world.patient,
        discloser=world.author,
        recipient=world.other_category,
        state="active",
        scope=[c for c in Category.values if c != kind.category],
    )
    if state != "lapsed":  # no writes after a lapse: the row says active, time says not
        build("late_by_author")
    return world, objs, markers


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("kind_name", sorted(KINDS))
def test_access_matrix(kind_name, state, caplog):
    caplog.set_level(logging.INFO)
    world, objs, markers = matrix_world(kind_name, state)
    check = Check(world, caplog)

    for url in [u for u in URLS if u.kind == kind_name]:
        targets = list(objs) if url.mode in ("detail", "edit") else [None]
        shown_as = {k: url.marker(objs[k], markers[k]) if url.marker else markers[k] for k in objs}
        for key in targets:
            obj = objs.get(key)
            path = reverse(url.name, args=url.args(world, obj))
            for persona in PERSONAS:
                readable = {k for k in objs if may_read(persona, k, state) and k not in url.hides}
                hidden = [shown_as[k] for k in objs if k not in readable]
                if url.mode == "post":
                    if url.allowed(persona, state):
                        continue  # the action itself is tested with the feature
                    response, body, logged = check.request(persona, path, "post")
                    check.expect_refused(persona, path, response, body, logged, hidden)
                    continue
                response, body, logged = check.request(persona, path)
                if url.mode == "detail":
                    allowed = key in readable
                elif url.mode == "edit":
                    allowed = persona == WRITERS[key]
                elif url.mode == "list":
                    allowed = None
                else:
                    allowed = url.allowed(persona, state)

                if allowed is None:  # a list: the page may refuse the persona entirely
                    if response.status_code == 200:
                        for k in objs:
                            shown = shown_as[k] in body
                            if shown != (k in readable):
                                check.fail(persona, path, f"{k}: shown={shown}")
                    else:
                        check.expect_refused(persona, path, response, body, logged, hidden)
                        if readable and persona != "anonymous":
                            check.fail(persona, path, "refused a list with readable rows")
                elif allowed:
                    if response.status_code != 200:
                        check.fail(persona, path, f"expected 200, got {response.status_code}")
                    if url.mode == "detail" and shown_as[key] not in body:
                        check.fail(persona, path, "readable object not shown")
                    for marker in hidden:
                        if marker in body:
                            check.fail(persona, path, "shows an object it may not read")
                else:
                    check.expect_refused(persona, path, response, body, logged, hidden)

    assert not check.failures, "\n" + "\n".join(check.failures)


def test_table_is_declarative():
    # A guard against the table being emptied: the rule's core rows are there.
    assert table.may_read("recipient", "by_author", "active")
    assert not table.may_read("recipient", "by_author", "lapsed")
    assert not table.may_read("recipient", "private", "active")
