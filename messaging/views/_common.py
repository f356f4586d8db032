"""Helpers shared by the messaging views."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.http import url_has_allowed_host_and_scheme

from carecollab.forms import add_service_error


def form_error(form, error: ValidationError | PermissionDenied) -> None:
    """Show a service's refusal on the form, whatever its kind."""
    if isinstance(error, ValidationError):
        add_service_error(form, error)
    else:
        form.add_error(None, str(error))


def query_id(request, name: str) -> int | None:
    """A positive id from the query string, or None for anything else (the database
    would refuse an id past its 64-bit range)."""
    try:
        value = int(request.GET.get(name, ""))
    except ValueError:
        return None
    return value if 0 < value < 2**63 else None


def safe_next(request, url: str, fallback: str) -> str:
    """``url`` when it stays on this site, else ``fallback`` (no open redirects)."""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return fallback
