"""The view helpers every posting view uses (carecollab.posting): binding a form, showing
a service's refusal, and picking a safe page to go to next."""

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from carecollab import posting

DEFAULT = "/somewhere/safe/"


class ReasonForm(forms.Form):
    reason = forms.CharField()
    document = forms.FileField(required=False)


def post(data=None, **extra):
    request = RequestFactory().post("/any/", data or {}, **extra)
    request._messages = CookieStorage(request)
    return request


def flashed(request) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in get_messages(request)]


# --- where to go next --------------------------------------------------------------------


@pytest.mark.parametrize(
    "unsafe",
    [
        "",
        "x",
        "referrals",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "https://evil.example/",
        "http://testserver/absolute/on/this/host/",
        "javascript:alert(1)",
        " /leading-space/",
    ],
)
def test_anything_but_a_path_on_this_site_falls_back_to_the_default(unsafe):
    assert posting.next_url(post({"next": unsafe}), DEFAULT) == DEFAULT
    assert posting.safe_url(post(), unsafe, DEFAULT) == DEFAULT


def test_a_path_on_this_site_is_kept_with_its_query_and_fragment():
    path = "/messaging/cases/3/?before=9#message-4"
    assert posting.next_url(post({"next": path}), DEFAULT) == path


def test_next_is_read_from_the_post_first_then_the_query_string():
    request = RequestFactory().post("/any/?next=/from-the-query/", {"next": "/from-the-post/"})
    assert posting.next_url(request, DEFAULT) == "/from-the-post/"
    request = RequestFactory().post("/any/?next=/from-the-query/", {})
    assert posting.next_url(request, DEFAULT) == "/from-the-query/"


# --- binding -------------------------------------------------------------------------------


def test_a_get_leaves_the_form_unbound_with_its_initial_values():
    form = posting.bind(ReasonForm, RequestFactory().get("/any/"), initial={"reason": "r"})
    assert not form.is_bound
    assert form["reason"].value() == "r"
    assert not posting.submitted(RequestFactory().get("/any/"), form)


def test_an_empty_post_is_bound_and_refused_with_its_messages():
    request = post()
    form = posting.bind(ReasonForm, request)
    assert form.is_bound
    assert not posting.submitted(request, form)
    assert form.errors["reason"] == ["This field is required."]


def test_a_post_binds_its_files_too():
    upload = SimpleUploadedFile("signed.pdf", b"%PDF-1.4", content_type="application/pdf")
    request = post({"reason": "Synthetic", "document": upload})
    form = posting.bind(ReasonForm, request)
    assert posting.submitted(request, form)
    assert form.cleaned_data["document"].name == "signed.pdf"


# --- a service's refusal on the form -------------------------------------------------------


def valid_form() -> ReasonForm:
    form = ReasonForm({"reason": "Synthetic"})
    assert form.is_valid()
    return form


def test_a_refusal_about_a_field_of_the_form_shows_on_that_field():
    form = valid_form()
    posting.show_refusal(form, ValidationError({"reason": "Say more."}))
    assert form.errors == {"reason": ["Say more."]}


def test_a_refusal_about_a_field_the_form_lacks_shows_at_the_top():
    form = valid_form()
    posting.show_refusal(form, ValidationError({"release": "Choose another release."}))
    assert form.non_field_errors() == ["Choose another release."]


def test_a_plain_refusal_and_a_permission_refusal_show_at_the_top():
    form = valid_form()
    posting.show_refusal(form, ValidationError("Not now."))
    posting.show_refusal(form, PermissionDenied("Not you."))
    assert form.non_field_errors() == ["Not now.", "Not you."]


def test_run_service_returns_what_the_service_wrote():
    form = valid_form()
    assert posting.run_service(form, lambda **kw: kw, reason="Synthetic") == {"reason": "Synthetic"}
    assert not form.errors


@pytest.mark.parametrize("refusal", [ValidationError("Refused."), PermissionDenied("Refused.")])
def test_run_service_shows_a_refusal_and_returns_none(refusal):
    form = valid_form()

    def service(**kwargs):
        raise refusal

    assert posting.run_service(form, service) is None
    assert form.non_field_errors() == ["Refused."]


def test_an_error_that_is_not_a_refusal_is_not_swallowed():
    def service(**kwargs):
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError):
        posting.run_service(valid_form(), service)


# --- a button without a form ---------------------------------------------------------------


def test_run_action_says_success_or_the_refusal():
    request = post()
    assert posting.run_action(request, lambda **kw: "done", success="Saved.") == "done"
    assert posting.run_action(request, lambda **kw: 3, success=lambda n: f"{n} marked.") == 3

    def refuse(**kwargs):
        raise ValidationError(["Not yet.", "Ask the admin."])

    assert posting.run_action(request, refuse, success="Saved.") is None
    assert flashed(request) == [
        ("success", "Saved."),
        ("success", "3 marked."),
        ("error", "Not yet. Ask the admin."),
    ]


# --- the query string ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12", 12), ("0", None), ("-3", None), ("abc", None), ("", None), (str(2**63), None)],
)
def test_query_id_reads_positive_ids_only(raw, expected):
    assert posting.query_id(RequestFactory().get("/any/", {"patient": raw}), "patient") == expected
