"""Pages of accounts: invitations (a clinic admin invites; the person accepts) and the
second factor (enrol an authenticator app, keep recovery codes, verify at sign-in)."""

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from carecollab.posting import bind, next_url, run_service, submitted
from cases.access import clinic_admin_required

from . import otp, selectors, services
from .forms import CodeForm, InvitationAcceptForm, InvitationForm
from .models import Invitation

INVITATION_SESSION_KEY = "accounts_invitation"
RECOVERY_CODES_SESSION_KEY = "accounts_recovery_codes"


@clinic_admin_required
@require_http_methods(["GET", "HEAD", "POST"])
def invitation_list(request):
    """The clinic's invitations, and the form to invite a person."""
    form = bind(InvitationForm, request)
    if submitted(request, form):
        made = run_service(
            form, services.invitation_create, invited_by=request.user, **form.cleaned_data
        )
        if made:
            messages.success(request, f"Invitation sent to {made[0].email}.")
            return redirect("accounts:invitation_list")
    invitations = selectors.invitations_of_clinic(request.user.clinician.clinic_id)
    return render(
        request, "accounts/invitation_list.html", {"form": form, "invitations": invitations}
    )


def _invalid_invitation(request):
    return render(request, "accounts/invitation_invalid.html", status=404)


@login_not_required
@require_safe
def invitation_open(request, token):
    """The link of the e-mail: remember the invitation in the session and go on to a
    page without the token (so it stays out of the history and of any Referer)."""
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return _invalid_invitation(request)
    if request.user.is_authenticated:
        logout(request)
    request.session[INVITATION_SESSION_KEY] = invitation.pk
    return redirect("accounts:invitation_accept")


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def invitation_accept(request):
    """The invited person chooses a username and a password, then enrols the second factor."""
    invitation = Invitation.objects.filter(pk=request.session.get(INVITATION_SESSION_KEY)).first()
    if invitation is None or not invitation.is_open():
        return _invalid_invitation(request)
    form = bind(InvitationAcceptForm, request, invitation=invitation)
    if submitted(request, form):
        user = run_service(
            form,
            services.invitation_accept,
            invitation=invitation,
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password1"],
        )
        if user:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("accounts:second_factor_enrol")
    return render(
        request, "accounts/invitation_accept.html", {"form": form, "invitation": invitation}
    )


@require_http_methods(["GET", "HEAD", "POST"])
def second_factor_enrol(request):
    """Enrol an authenticator app: scan the code, type what the app shows."""
    user = request.user
    if otp.has_second_factor(user):
        if user.is_verified():
            return redirect("home")
        return redirect("accounts:second_factor_verify")
    device = otp.pending_device(user)
    form = bind(CodeForm, request)
    if submitted(request, form):
        codes = run_service(
            form, otp.enrol_confirm, request=request, device=device, code=form.cleaned_data["code"]
        )
        if codes:
            request.session[RECOVERY_CODES_SESSION_KEY] = codes
            return redirect("accounts:recovery_codes")
    context = {"form": form, "qr_svg": otp.qr_svg(device), "secret": otp.secret_text(device)}
    return render(request, "accounts/second_factor_enrol.html", context)


@require_safe
def recovery_codes(request):
    """The recovery codes, shown once, right after enrolment."""
    codes = request.session.pop(RECOVERY_CODES_SESSION_KEY, None)
    if not codes:
        return redirect("home")
    return render(request, "accounts/recovery_codes.html", {"codes": codes})


@require_http_methods(["GET", "HEAD", "POST"])
def second_factor_verify(request):
    """At sign-in: the code of the authenticator app, or a recovery code."""
    user = request.user
    if not otp.has_second_factor(user):
        return redirect("accounts:second_factor_enrol")
    form = bind(CodeForm, request)
    if submitted(request, form) and run_service(
        form, otp.verify, request=request, code=form.cleaned_data["code"]
    ):
        return redirect(next_url(request, reverse("home")))
    return render(
        request,
        "accounts/second_factor_verify.html",
        {"form": form, "next": request.GET.get("next", "")},
    )
