"""Session limits beyond Django's idle timeout."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

SIGNED_IN_AT = "carecollab_signed_in_at"


@receiver(user_logged_in)
def remember_sign_in_time(sender, request, user, **kwargs):
    """Stamp the session with its sign-in time, for the absolute limit."""
    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT] = timezone.now().timestamp()


class AbsoluteSessionLimitMiddleware:
    """End a session SESSION_ABSOLUTE_HOURS after sign-in, however active it is."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            signed_in_at = request.session.get(SIGNED_IN_AT)
            limit = timedelta(hours=settings.SESSION_ABSOLUTE_HOURS).total_seconds()
            if signed_in_at is None or timezone.now().timestamp() - signed_in_at > limit:
                logout(request)
                return redirect(reverse("login") + "?expired=1")
        return self.get_response(request)


class RejectNulBytesMiddleware:
    """Answer 400 to a query string holding a NUL character.

    PostgreSQL text cannot hold NUL; forms refuse it with a message of their own
    (Django's ProhibitNullCharactersValidator), but search and filter parameters go to
    the database as they are, so they are refused here, before any view runs.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            from carecollab.views import bad_request

            return bad_request(request)
        return self.get_response(request)


class MethodNotAllowedPageMiddleware:
    """Give a 405 (a POST to a read-only page, say) a page that says what happened;
    Django's own 405 has an empty body."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 405 and not response.content:
            from django.shortcuts import render

            page = render(request, "405.html", status=405)
            page["Allow"] = response.get("Allow", "")
            return page
        return response


class DuplicateSubmissionMiddleware:
    """Save a form once when it is sent twice (a double click, a resent POST).

    A signed-in user's POST that repeats, byte for byte, the previous one that
    succeeded (answered with a redirect) within DUPLICATE_POST_SECONDS is not run again:
    the user is sent where the first one went, with a note that it was saved once.
    """

    SESSION_KEY = "carecollab_last_post"

    def __init__(self, get_response):
        self.get_response = get_response

    def fingerprint(self, request) -> str:
        import hashlib

        items = sorted(
            (key, value)
            for key, values in request.POST.lists()
            if key != "csrfmiddlewaretoken"
            for value in values
        )
        files = sorted((key, f.name, f.size) for key, f in request.FILES.items())
        raw = repr((request.user.pk, request.path, items, files))
        return hashlib.sha256(raw.encode()).hexdigest()

    def __call__(self, request):
        if request.method != "POST" or not request.user.is_authenticated:
            return self.get_response(request)
        key = self.fingerprint(request)
        last = request.session.get(self.SESSION_KEY) or {}
        now = timezone.now().timestamp()
        if last.get("key") == key and now - last.get("at", 0) < settings.DUPLICATE_POST_SECONDS:
            from django.contrib import messages

            messages.info(request, "That form was already sent; it was saved once.")
            return redirect(last["location"])
        response = self.get_response(request)
        if response.status_code == 302 and request.user.is_authenticated:
            request.session[self.SESSION_KEY] = {
                "key": key,
                "at": now,
                "location": response["Location"],
            }
        return response


class NoStoreForSignedInMiddleware:
    """Tell browsers and proxies to keep no copy of a page a signed-in user sees.

    Every such page may hold PHI; the back button on a shared computer after sign-out,
    or a caching proxy, must not show it again."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and "no-store" not in response.get("Cache-Control", "")
        ):
            add_never_cache_headers(response)
        return response
