"""Role checks for views. A signed-in user of the wrong role gets the same logged 404 as
for anything else they may not see (never a login redirect), so a page's existence says
nothing about its content."""

from __future__ import annotations

import functools
import logging

from django.http import Http404

from .models import Clinician

logger = logging.getLogger("carecollab.access")

Role = Clinician.Role
CLINICIANS = (Role.PRESCRIBER, Role.THERAPIST)


def role_required(*roles: str):
    """Let through signed-in users whose clinician role is one of ``roles``."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            clinician = getattr(request.user, "clinician", None)
            if clinician is None or clinician.role not in roles or not request.user.is_active:
                logger.warning("role refused: user=%s view=%s", request.user.pk, view.__name__)
                raise Http404("Not found.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


clinician_required = role_required(*CLINICIANS)
clinic_admin_required = role_required(Role.CLINIC_ADMIN)
prescriber_required = role_required(Role.PRESCRIBER)
therapist_required = role_required(Role.THERAPIST)
