"""Navigation for the one base template."""

from cases.models import Clinician


def navigation(request) -> dict:
    # A request refused before AuthenticationMiddleware ran (a bad Host header answers
    # 400 from CommonMiddleware) has no user; its error page still renders this.
    user = getattr(request, "user", None)
    clinician = getattr(user, "clinician", None) if user and user.is_authenticated else None
    return {
        "nav_clinician": clinician,
        "nav_role": clinician.role if clinician else "",
        "Role": Clinician.Role,
    }
