"""Sign-in lock-out (django-axes): the client's address behind the proxy, and the page.

axes locks a username (and a username from one address), never an address alone
(settings.AXES_LOCKOUT_PARAMETERS); this module tells it who the client is and answers
a locked-out sign-in with when to try again.
"""

from __future__ import annotations

import datetime as dt

from axes.helpers import get_cool_off
from django.conf import settings
from django.shortcuts import render
from django.utils import timezone


def client_ip(request) -> str | None:
    """The client's address as the trusted proxies saw it.

    With TRUSTED_PROXY_COUNT = N (the proxies in front of the app, e.g. 1 for the TLS
    proxy of the deployment), the N-th address from the right of X-Forwarded-For is the
    one the outermost trusted proxy saw: what a client writes into the header itself
    sits further left and is ignored. With 0 (the default: no proxy) REMOTE_ADDR.
    """
    count = settings.TRUSTED_PROXY_COUNT
    remote = request.META.get("REMOTE_ADDR")
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < count:
        return remote  # not through the expected proxies; take the direct peer
    return forwarded[-count][:45]


def locked_out(request, original_response=None, credentials=None):
    """The lock-out page, with the time from which the user may try again."""
    cool_off = get_cool_off(request) or dt.timedelta(hours=1)
    retry_at = timezone.localtime(timezone.now() + cool_off)
    minutes = max(1, round(cool_off.total_seconds() / 60))
    return render(
        request,
        "registration/locked_out.html",
        {"retry_at": retry_at, "cooloff_minutes": minutes},
        status=429,
    )
