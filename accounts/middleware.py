"""Require the second factor before any page but the few that lead to it."""

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from . import otp

# What a signed-in but not yet verified session may open.
OPEN_BEFORE_SECOND_FACTOR = {
    "login",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "accounts:invitation_open",
    "accounts:invitation_accept",
    "accounts:second_factor_enrol",
    "accounts:second_factor_verify",
}


class SecondFactorMiddleware:
    """A signed-in user whose session has not passed the second factor reaches only the
    pages above; everything else sends them to enrol (no app yet) or to type a code."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        if request.resolver_match.view_name in OPEN_BEFORE_SECOND_FACTOR:
            return None
        if otp.passes_without_code(user):
            return None
        if not otp.has_second_factor(user):
            return redirect("accounts:second_factor_enrol")
        target = reverse("accounts:second_factor_verify")
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        return redirect(target)
