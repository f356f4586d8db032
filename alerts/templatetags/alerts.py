"""``{% alert_banner patient %}``: the open safety alerts the signed-in clinician may
read (of one patient, or all), read through the gate and recorded. Pages place it with
``{% include "alerts/_banner.html" %}`` at their top."""

from django import template

from alerts import selectors
from cases.models import Clinician

register = template.Library()


@register.inclusion_tag("alerts/_banner_list.html", takes_context=True)
def alert_banner(context, patient=None):
    request = context.get("request")
    user = getattr(request, "user", None)
    clinician = getattr(user, "clinician", None)
    if clinician is None or clinician.role == Clinician.Role.CLINIC_ADMIN:
        return {"alerts": [], "patient": patient}
    alerts = selectors.open_alerts_for(user, patient=patient or None)
    return {"alerts": alerts, "patient": patient, "request": request}
