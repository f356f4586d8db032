"""The alert page: what raised it, for whom, when; acknowledging it with what was done.
Reads go through the gate (alerts.selectors); refusals are its logged 404."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from carecollab.posting import bind, next_url, run_service, submitted
from cases.access import clinician_required

from . import selectors, services
from .forms import AcknowledgeForm


@clinician_required
@require_http_methods(["GET", "POST"])
def alert_detail(request, pk):
    alert = selectors.alert_for_user(request.user, pk)
    if request.method == "POST" and not alert.is_open:
        messages.error(request, "This alert was already acknowledged; it has ended for all.")
        return redirect(alert)
    form = bind(AcknowledgeForm, request) if alert.is_open else None
    if form is not None and submitted(request, form):
        acknowledged = run_service(
            form, services.alert_acknowledge, alert=alert, by=request.user, **form.cleaned_data
        )
        if acknowledged:
            messages.success(request, "Alert acknowledged: it has ended for the whole team.")
            return redirect(next_url(request, alert.get_absolute_url()))
    context = {
        "alert": alert,
        "patient": alert.patient,
        "acknowledgement": selectors.acknowledgement_of(request.user, alert),
        "form": form,
    }
    return render(request, "alerts/alert_detail.html", context)
