"""Handing the device to the patient for a PHQ-9 or GAD-7.

The clinician starts the hand-over on the scale's form; from then on the session holds
the patient and the scale (``SESSION_KEY``), and :class:`HandoverMiddleware` lets that
session reach only that form, the page that takes the device back, and signing out.
Everything else (the patient page, navigation, a typed URL, the back button) lands on
the take-back page, which returns to the clinician only after their password (through
``authenticate``, so django-axes counts and locks out wrong guesses). The flag lives on
the server, so hiding the navigation is a courtesy, not the protection.
"""

from __future__ import annotations

from django.shortcuts import redirect
from django.urls import reverse

SESSION_KEY = "carecollab_handover"


def start(request, *, patient_id: int, scale_code: str) -> None:
    """Hand this session to the patient, for one scale."""
    request.session[SESSION_KEY] = {"patient": patient_id, "scale": scale_code}


def end(request) -> dict | None:
    """Take the session back (after the clinician's password); returns what it was."""
    return request.session.pop(SESSION_KEY, None)


def allowed_paths(state: dict) -> set[str]:
    return {
        reverse("assessments:create", args=[state["patient"], state["scale"]]),
        reverse("assessments:handover_end"),
        reverse("logout"),
    }


class HandoverMiddleware:
    """While a session is handed to the patient, only the scale's form, the take-back
    page and signing out answer; every other path goes to the take-back page.
    Sets ``request.handover`` (the state, or None) for the templates."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        state = None
        if request.user.is_authenticated:
            state = request.session.get(SESSION_KEY)
        request.handover = state
        if state and request.path not in allowed_paths(state):
            return redirect("assessments:handover_end")
        return self.get_response(request)
