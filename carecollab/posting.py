"""Post, run a service, redirect: what every view that takes a POST does, written once.

- :func:`bind` binds a form to what was posted (even an empty POST), or leaves it
  unbound on GET;
- :func:`run_service` calls a service and shows its refusal (``ValidationError`` on its
  field or at the top, ``PermissionDenied`` at the top) on the form;
  :func:`run_action` does the same for a button without a form, as a flash message;
- :func:`next_url` / :func:`safe_url` pick where to go afterwards: a path on this site
  only, else the view's default (no open redirect, and no 500 for ``next=x``);
- :func:`query_id` reads an id from the query string.

This module imports no app of the project, so every app (and the project's own pages)
may use it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

FormT = TypeVar("FormT", bound=forms.BaseForm)
Refusal = ValidationError | PermissionDenied


# --- binding ------------------------------------------------------------------------


def bind(form_class: type[FormT], request: HttpRequest, **kwargs) -> FormT:
    """``form_class`` bound to the POST and its files, even an empty POST (which then
    fails validation with its messages), or unbound on any other method."""
    if request.method == "POST":
        return form_class(request.POST, request.FILES, **kwargs)
    return form_class(**kwargs)


def submitted(request: HttpRequest, form: forms.BaseForm) -> bool:
    """The form was posted and is valid."""
    return request.method == "POST" and form.is_valid()


# --- running a service --------------------------------------------------------------


def refusal_text(error: Refusal) -> str:
    """A service's refusal as one sentence (or a few) for a message."""
    return " ".join(getattr(error, "messages", None) or [str(error)])


def show_refusal(form: forms.BaseForm, error: Refusal) -> None:
    """Show a service's refusal on the form: a ValidationError on its field when the form
    has that field, otherwise at the top, so no message is ever lost."""
    if isinstance(error, PermissionDenied):
        form.add_error(None, str(error))
        return
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = field if field in form.fields else None
            for item in errors:
                form.add_error(target, item.messages if target is None else item)
        return
    form.add_error(None, error.messages)


def run_service(form: forms.BaseForm, service: Callable[..., Any], /, **kwargs) -> Any:
    """``service(**kwargs)``; on a refusal, show it on the form and return None.
    (Services return what they wrote, so None means "refused".)"""
    try:
        return service(**kwargs)
    except (ValidationError, PermissionDenied) as error:
        show_refusal(form, error)
    return None


def run_action(
    request: HttpRequest,
    service: Callable[..., Any],
    /,
    *,
    success: str | Callable[[Any], str],
    **kwargs,
) -> Any:
    """A button without a form: ``service(**kwargs)``, then ``success`` (a text, or a
    function of the result) as a message; or the refusal as an error message, and None."""
    try:
        result = service(**kwargs)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, refusal_text(error))
        return None
    messages.success(request, success(result) if callable(success) else success)
    return result


# --- where to go next ------------------------------------------------------------------


def safe_url(request: HttpRequest, url: str, default: str) -> str:
    """``url`` when it is a path on this site ("/..."), else ``default``.

    Only a relative path: not another host, not ``//host`` or ``/\\host``, not
    ``javascript:``, and not a bare word either (``redirect("x")`` would look it up as a
    view name and fail).
    """
    if (
        url
        and url.startswith("/")
        and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return url
    return default


def next_url(request: HttpRequest, default: str) -> str:
    """The ``next`` the page posted (or put in the query string) when it is a safe path
    on this site (:func:`safe_url`), else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    return safe_url(request, target, default)


# --- the query string -------------------------------------------------------------------


def query_id(request: HttpRequest, name: str) -> int | None:
    """A positive id from the query string, or None for anything else (the database
    would refuse an id past its 64-bit range)."""
    try:
        value = int(request.GET.get(name, ""))
    except ValueError:
        return None
    return value if 0 < value < 2**63 else None
