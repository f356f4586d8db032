"""WCAG 2.1 AA, checked by axe-core in Chromium: every page of the access matrix as every
persona, and every form shown again with errors (submitted empty, and with one bad value).

axe-core is vendored in tests/browser/axe/ (version and licence in its README) and
injected into every page that is checked.
The test fails on any violation of the rules tagged wcag2a, wcag2aa, wcag21a and wcag21aa,
and on an "incomplete" aria-valid-attr-value (an ARIA reference axe could not resolve),
listing rule, persona, page and element. After a failed save the focus must be on the
form's error summary.

The world is the bad-input harness's (tests/robustness): one object of every shared kind
under an active mutual release, plus a draft and a revoked release for the release pages.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import NoReverseMatch, reverse
from playwright.sync_api import Error as PlaywrightError

from cases.categories import Category
from tests.access.test_matrix import NOT_PHI, URLS
from tests.conftest import PERSONAS
from tests.releasekit import make_release
from tests.robustness.test_bad_input import build_world

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "axe" / "axe.min.js"
AXE_VERSION = "4.14.1"
AXE_SOURCE = AXE.read_text(encoding="utf-8")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Incomplete results that count as failures: an ARIA attribute whose value axe cannot
# resolve (an aria-describedby naming an id that no element has, for one).
INCOMPLETE_FAILS = {"aria-valid-attr-value"}

RUN_AXE = """async ([tags, incompleteFails]) => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations", "incomplete"],
  });
  const pick = (rules) => rules.map((rule) => ({
    id: rule.id,
    impact: rule.impact,
    nodes: rule.nodes.map((node) => ({
      target: node.target.join(" "),
      html: node.html.slice(0, 160),
    })),
  }));
  return pick(result.violations).concat(
    pick(result.incomplete.filter((rule) => incompleteFails.includes(rule.id)))
  );
}"""

# The forms of <main> that a person fills in (not a lone button with hidden fields). Their
# attributes are read with getAttribute: a field named "action" hides form.action.
FILLABLE = """Array.from(document.querySelectorAll("main form")).filter((form) =>
  (form.getAttribute("method") || "").toLowerCase() === "post" && form.querySelector(
    "input:not([type=hidden]):not([type=submit]):not([type=button]), select, textarea"))"""

# Submit the index-th of them empty, or as shown with one field holding a bad value.
SUBMIT = """([index, mode]) => {
  const form = (FILLABLE)[index];
  form.noValidate = true;
  const controls = Array.from(form.elements).filter((el) =>
    el.name && !["hidden", "submit", "button", "reset"].includes(el.type));
  let changed = null;
  if (mode === "empty") {
    for (const el of controls) {
      if (el.type === "checkbox" || el.type === "radio") el.checked = false;
      else if (el.tagName === "SELECT") el.selectedIndex = -1;
      else el.value = "";
    }
  } else {
    const bad = (el) => {
      if (el.type === "date" || el.type === "datetime-local") {
        el.type = "text"; el.value = "2026-02-30"; return true;
      }
      if (el.type === "number") { el.type = "text"; el.value = "many"; return true; }
      if (el.type === "email") { el.type = "text"; el.value = "not an address"; return true; }
      if (el.tagName === "SELECT" && !el.multiple) {
        el.add(new Option("Not a choice", "not-a-choice"));
        el.value = "not-a-choice"; return true;
      }
      if (el.type === "radio") { el.value = "not-a-choice"; el.checked = true; return true; }
      return false;
    };
    const tooLong = (el) => {
      if (!(el.maxLength > 0)) return false;
      el.value = "x".repeat(el.maxLength + 1); return true;
    };
    changed = controls.find(bad) || controls.find(tooLong) || null;
    if (!changed) {
      changed = controls.find((el) => el.type === "text" || el.tagName === "TEXTAREA") || null;
      if (changed) changed.value = "   ";
    }
  }
  const button = form.querySelector("button[type=submit], button:not([type]), input[type=submit]");
  form.requestSubmit(button || undefined);
  return changed ? changed.name : null;
}""".replace("FILLABLE", FILLABLE)

# The markup of a page without its text: what axe's results depend on.
MARKUP = """() => Array.from(document.querySelectorAll("body *"), (el) =>
  el.tagName + "#" + el.id + "." + el.className + Array.from(el.attributes)
    .filter((a) => /^(role|aria-|type|for|href|tabindex|alt|lang)/.test(a.name))
    .map((a) => a.name + (a.name === "href" ? "" : "=" + a.value)).join(",") +
  (Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim()) ? "T" : "")
).join("|")"""

# The forms SUBMIT picks from, each named by what it posts to (ids as N) and its fields.
FORM_KEYS = """() => (FILLABLE).map((form) =>
  new URL(form.getAttribute("action") || "", location.href).pathname.replace(/[0-9]+/g, "N") +
  " " +
  Array.from(form.elements, (el) => el.name).filter(Boolean).sort().join(","))""".replace(
    "FILLABLE", FILLABLE
)

FOCUS_ON_SUMMARY = """() => {
  const summary = document.querySelector("[data-error-summary]");
  return summary === null ? null : document.activeElement === summary;
}"""


@dataclass
class Audit:
    failures: list[str] = field(default_factory=list)
    pages: int = 0
    error_states: int = 0

    def check(self, page, persona: str, label: str) -> None:
        self.pages += 1
        if not page.evaluate("() => Boolean(window.axe)"):
            page.add_script_tag(content=AXE_SOURCE)
            assert page.evaluate("() => axe.version") == AXE_VERSION
        for rule in page.evaluate(RUN_AXE, [TAGS, sorted(INCOMPLETE_FAILS)]):
            for node in rule["nodes"]:
                self.failures.append(
                    f"{rule['id']} ({rule['impact']}) {persona} {label}: "
                    f"{node['target']}  {node['html']}"
                )


def page_paths(world, objs) -> list[str]:
    """Every page of the access matrix this world can reach, and the pages of no record."""
    paths = []
    for url in URLS:
        if url.mode == "post":
            continue
        try:
            paths.append(reverse(url.name, args=url.args(world, objs.get(url.kind))))
        except (AttributeError, KeyError, NoReverseMatch):
            continue  # a URL about an object this world does not hold
    for name in NOT_PHI:
        try:
            paths.append(reverse(name))
        except NoReverseMatch:
            continue  # needs ids: an action or a download, covered by the matrix
    return paths


def all_paths(world, objs) -> list[str]:
    paths = page_paths(world, objs)
    admin = world.clinic_admin.user
    for state, recipient in (("draft", world.colleague), ("revoked", world.other_category)):
        world.extra["release"] = make_release(
            admin=admin,
            patient=world.patient,
            discloser=world.author,
            recipient=recipient,
            state=state,
            scope=list(Category.values),
        )
        paths += page_paths(world, objs)
    return list(dict.fromkeys(paths))


def signed_in_context(browser, live_server, world, persona):
    """One browser context per persona, signed in by its session cookie, axe in every page."""
    # axe goes into a page only when it is checked (most visits are refusals or markup
    # already checked); the page's Content-Security-Policy would refuse the inline script.
    context = browser.new_context(viewport={"width": 1366, "height": 900}, bypass_csp=True)
    context.set_default_timeout(20_000)
    if persona != "anonymous":
        client = Client()
        client.force_login(world.user(persona))
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
        )
    return context


def open_html(page, url: str):
    """Go to a page; its status, or None for a download or a page that is not HTML."""
    try:
        response = page.goto(url)
    except PlaywrightError as error:
        if "Download is starting" in str(error):
            return None
        raise
    if "text/html" not in response.headers.get("content-type", ""):
        return None
    return response.status


@pytest.mark.django_db(transaction=True)
def test_axe_finds_no_wcag_violation_on_any_page_or_error_state(browser, live_server):
    world, objs, _ = build_world()
    paths = all_paths(world, objs)
    audit = Audit()
    # Markup already checked (tags, ids, classes, roles, ARIA; not the text): the same
    # page as another persona, or another record of the same kind, is checked once.
    seen_markup: set[str] = set()
    forms_done: set[str] = set()
    started = time.monotonic()
    for persona in PERSONAS:
        print(f"{persona}: from {time.monotonic() - started:.0f} s")
        context = signed_in_context(browser, live_server, world, persona)
        page = context.new_page()
        forms = []
        # Signed out, every page answers with the sign-in page: one of them is enough.
        for path in paths if persona != "anonymous" else paths[:1]:
            status = open_html(page, f"{live_server.url}{path}")
            if status is None:
                continue
            markup = page.evaluate(MARKUP)
            if markup not in seen_markup:
                seen_markup.add(markup)
                audit.check(page, persona, f"{page.url.removeprefix(live_server.url)} ({status})")
            if status == 200:
                for index, key in enumerate(page.evaluate(FORM_KEYS)):
                    if key not in forms_done:
                        forms_done.add(key)
                        forms.append((page.url, index))
        # Each form once (by the first persona who may open it), empty and with a bad value.
        for url, index in forms:
            for mode in ("empty", "bad"):
                page.goto(url)
                with page.expect_navigation():
                    bad = page.evaluate(SUBMIT, [index, mode])
                path = url.removeprefix(live_server.url)
                label = f"{path} form {index + 1} sent {mode}" + (f" ({bad})" if bad else "")
                focus = page.evaluate(FOCUS_ON_SUMMARY)
                if focus is not None:
                    audit.error_states += 1
                    if not focus:
                        audit.failures.append(f"focus {persona} {label}: not on the summary")
                audit.check(page, persona, label)
        context.close()

    print(
        f"axe {AXE_VERSION}: {audit.pages} page states checked, "
        f"{audit.error_states} of them forms shown with errors, {len(forms_done)} forms, "
        f"in {time.monotonic() - started:.0f} s"
    )
    assert audit.pages >= 50, f"only {audit.pages} pages checked: is the matrix empty?"
    assert audit.error_states >= 20, f"only {audit.error_states} error states were shown"
    assert not audit.failures, f"{len(audit.failures)} accessibility failures:\n" + "\n".join(
        sorted(audit.failures)
    )


def test_the_vendored_axe_is_the_version_its_readme_names():
    readme = (AXE.parent / "README.md").read_text()
    assert f"axe-core **{AXE_VERSION}**" in readme
    assert AXE.read_text(encoding="utf-8").startswith(f"/*! axe v{AXE_VERSION}")
