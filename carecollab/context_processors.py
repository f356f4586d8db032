"""Navigation for the one base template."""

from cases.models import Clinician


def navigation(request) -> dict:
    clinician = getattr(request.user, "clinician", None) if request.user.is_authenticated else None
    return {
        "nav_clinician": clinician,
        "nav_role": clinician.role if clinician else "",
        "Role": Clinician.Role,
    }
