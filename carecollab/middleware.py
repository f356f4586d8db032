"""Session limits beyond Django's idle timeout."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

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
