"""Forms shown again with errors stay accessible, without a browser: every description
and label points at an element that exists, no list is an alert (its items would be
orphans), and the error summary links to every field in error.

The browser suite (tests/browser/test_axe.py) runs axe-core on the same pages; this test
is the fast guard of the one form-field template (templates/_field.html).
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django import forms
from django.template.loader import render_to_string
from django.test import Client

from tests.robustness.test_bad_input import build_world, pages_with_forms

pytestmark = pytest.mark.django_db


class _Page(HTMLParser):
    """The ids of a page, what points at ids, and what is an alert."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.refs: list[tuple[str, str, str]] = []  # (tag, attribute, id)
        self.alert_lists: list[str] = []
        self.invalid: list[str] = []  # ids of controls marked aria-invalid
        self.summaries = 0
        self.summary_links: list[str] = []
        self._summary_depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        for name in ("aria-describedby", "aria-labelledby", "aria-controls"):
            for ref in (attrs.get(name) or "").split():
                self.refs.append((tag, name, ref))
        if tag == "label" and attrs.get("for"):
            self.refs.append((tag, "for", attrs["for"]))
        if tag in ("ul", "ol", "li") and attrs.get("role") == "alert":
            self.alert_lists.append(tag)
        if attrs.get("aria-invalid") == "true":
            self.invalid.append(attrs.get("id", ""))
        if tag == "div":
            if "data-error-summary" in attrs:
                self.summaries += 1
                self._summary_depth = 1
            elif self._summary_depth:
                self._summary_depth += 1
        if tag == "a" and self._summary_depth and (attrs.get("href") or "").startswith("#"):
            self.summary_links.append(attrs["href"][1:])
            self.refs.append((tag, "href", attrs["href"][1:]))

    def handle_endtag(self, tag):
        if tag == "div" and self._summary_depth:
            self._summary_depth -= 1


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def problems(html: str) -> list[str]:
    page = parse(html)
    found = [
        f"<{tag} {attr}> names #{ref}, which no element has"
        for tag, attr, ref in page.refs
        if ref not in page.ids
    ]
    found += [f"<{tag} role=alert>: its list items would be orphans" for tag in page.alert_lists]
    for control in page.invalid:
        radio_group = control.rsplit("_", 1)[0] if control[-1:].isdigit() else None
        if control not in page.summary_links and f"{radio_group}_0" not in page.summary_links:
            found.append(f"#{control} is in error but the error summary does not link to it")
    return found


class Sample(forms.Form):
    name = forms.CharField(help_text="As on the chart.")
    dose = forms.IntegerField()
    kind = forms.ChoiceField(
        choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect, help_text="Pick one."
    )
    shared = forms.BooleanField(required=False, help_text="Shown to the care team.")


def test_a_field_is_described_by_its_help_text_and_its_errors_that_exist():
    html = render_to_string("form_fields.html", {"form": Sample(data={"dose": "x"})})
    assert problems(html) == []
    assert 'aria-describedby="id_name_helptext id_name_error"' in html
    assert 'id="id_name_helptext"' in html and 'id="id_name_error"' in html
    # A group of choices is described on its fieldset (its inputs are not).
    assert '<fieldset aria-describedby="id_kind_helptext id_kind_error">' in html
    assert 'class="errorlist" id="id_dose_error"' in html


def test_the_error_summary_is_the_alert_and_links_to_each_field_in_error():
    page = parse(render_to_string("form_fields.html", {"form": Sample(data={"dose": "x"})}))
    assert page.summaries == 1
    assert page.summary_links == ["id_name", "id_dose", "id_kind_0"]
    assert page.alert_lists == []


def test_a_valid_form_has_no_summary_and_no_error_descriptions():
    html = render_to_string("form_fields.html", {"form": Sample()})
    assert "data-error-summary" not in html and "_error" not in html
    assert 'aria-describedby="id_name_helptext"' in html
    assert problems(html) == []


def test_the_checker_finds_a_list_as_alert_and_a_description_pointing_at_nothing():
    # The check itself can fail: the faults the usability review found are caught.
    broken = (
        '<input id="id_a" aria-describedby="id_a_helptext">'
        '<ul class="errorlist" role="alert"><li>Required.</li></ul>'
    )
    assert len(problems(broken)) == 2


def test_every_form_of_the_app_shown_with_errors_points_only_at_what_exists():
    world, objs, _ = build_world()
    targets = [
        (persona, path, form)
        for persona, path, form in pages_with_forms(world, objs)
        if form.method == "post"
        and any(f.kind != "hidden" for f in form.fields.values())
        and "logout" not in form.action
    ]
    seen_errors = 0
    failures = []
    for persona, path, form in targets:
        client = Client()
        client.force_login(world.user(persona))
        # Submitted empty: only what the page itself filled in (hidden fields).
        data = {n: f.value for n, f in form.fields.items() if f.kind == "hidden"}
        response = client.post(form.action, data)
        if response.status_code != 200:
            continue  # accepted empty (an optional note) or refused as a whole
        html = response.content.decode()
        seen_errors += "data-error-summary" in html
        failures += [f"{persona} {form.action} (from {path}): {p}" for p in problems(html)]
        fresh = client.get(path).content.decode()
        failures += [f"{persona} GET {path}: {p}" for p in problems(fresh)]
    assert seen_errors >= 10, f"only {seen_errors} forms showed errors: is the harness empty?"
    assert not failures, "\n" + "\n".join(sorted(set(failures)))
