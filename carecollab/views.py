"""Error pages: plain, with no detail about what was asked for; the bench's reference page."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render


def forbidden(request, exception=None):
    return render(request, "403.html", status=403)


def not_found(request, exception=None):
    return render(request, "404.html", status=404)


def bad_request(request, exception=None):
    return render(request, "400.html", status=400)


@login_required
def bench_reference(request):
    """The base template with nothing else, signed in: what every page costs at least.

    The bench (``python -m bench``) reports each page as a multiple of this one's median
    and compares their throughput on the same workers. It shows no record, and answers
    404 unless ``BENCH_REFERENCE_PAGE`` is on (the bench turns it on)."""
    if not settings.BENCH_REFERENCE_PAGE:
        raise Http404("Not found.")
    return render(request, "base.html")
