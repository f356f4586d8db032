"""The "entered in error" page, one for every kind of record that has it (a medication
change, an observation, an assessment): the reason, then the app's service, which
checks who may and marks the record (``cases.models.EnteredInError``). Imports no app
of the project."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.shortcuts import redirect, render

from .forms import EnteredInErrorForm
from .posting import bind, run_service, submitted


def entered_in_error_page(
    request,
    service: Callable[..., Any],
    /,
    *,
    record: dict,
    patient,
    what: str,
    back: str,
    consequence: str = "",
    success: str = "Marked as entered in error: it no longer counts.",
):
    """GET: the form; POST: ``service(**record, author=user, reason=...)``, then back to
    ``back`` with ``success``, or the form with the refusal."""
    form = bind(EnteredInErrorForm, request)
    if submitted(request, form) and run_service(
        form, service, **record, author=request.user, **form.cleaned_data
    ):
        messages.success(request, success)
        return redirect(back)
    context = {
        "form": form,
        "patient": patient,
        "what": what,
        "back": back,
        "consequence": consequence,
    }
    return render(request, "entered_in_error_form.html", context)
