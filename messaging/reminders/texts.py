"""What a reminder says (in the app, in e-mail) and where it links. Never PHI: no
patient, no medication, no dates of care; the link carries ids only and leads where
the gate decides what the reader may see."""

from __future__ import annotations

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from medications.models import RefillRequest

from ..models import Reminder
from .rules import patient_id_field, subject_model

Kind = Reminder.Kind

# (headline, sentence) per kind: the headline is the notification text and the e-mail
# subject; the sentence opens the e-mail body.
TEXTS = {
    Kind.REFILL_DUE: (
        "A refill is due soon",
        "A medication's supply runs out within the clinic's lead time and no refill "
        "request is open.",
    ),
    Kind.LATE_REFILL: (
        "A refill request came in late",
        "A refill was asked for with little lead time. It may be worth exploring with "
        "the patient what made it late.",
    ),
    Kind.CHECKIN_DUE: (
        "A check-in is due after a medication change",
        "A medication started or changed a while ago. Please log how the patient is "
        "responding and taking it.",
    ),
    Kind.QUIET_CASE: (
        "A case has had no shared observation for a while",
        "One of your cases has had no shared observation recently. Please log a check-in.",
    ),
    Kind.RELEASE_EXPIRING: (
        "An information release expires soon",
        "An information release between care team members expires soon. Information "
        "stops flowing when it does.",
    ),
    Kind.CONSULT_WAITING: (
        "A consult question is waiting",
        "A consult question in a case thread has waited for an answer.",
    ),
}


def reminder_text(kind: str) -> tuple[str, str]:
    """(headline, sentence) of a kind of reminder; never PHI."""
    return TEXTS[kind]


def url_or_none(name: str, *args) -> str | None:
    if None in args:
        return None
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def target_url(
    *, kind: str, subject_id: int, patient_id: int | None, for_admin: bool, medication_id=None
) -> str:
    """Where a reminder leads: the thing to act on (ids only; the gate decides there)."""
    if kind in (Kind.CHECKIN_DUE, Kind.QUIET_CASE) and patient_id and not for_admin:
        target = url_or_none("cases:observation_create", patient_id)
    elif kind == Kind.REFILL_DUE:
        target = url_or_none("medications:detail", subject_id)
    elif kind == Kind.LATE_REFILL and medication_id:
        target = url_or_none("medications:detail", medication_id)
    elif kind == Kind.RELEASE_EXPIRING and for_admin:
        target = url_or_none("releases:detail", subject_id)
    elif kind == Kind.CONSULT_WAITING:
        target = url_or_none("messaging:question_detail", subject_id)
    else:
        target = None
    patient_page = url_or_none("cases:patient_detail", patient_id) if patient_id else None
    return target or patient_page or reverse("home")


def reminder_url(reminder: Reminder) -> str:
    """The link of one reminder (two small queries)."""
    model = subject_model(reminder.subject_type)
    fields = [patient_id_field(model)]
    if model is RefillRequest:
        fields.append("medication_id")
    found = model._default_manager.filter(pk=reminder.subject_id).values_list(*fields).first()
    recipient = getattr(reminder.recipient, "clinician", None)
    return target_url(
        kind=reminder.kind,
        subject_id=reminder.subject_id,
        patient_id=found[0] if found else None,
        for_admin=recipient is not None and recipient.is_clinic_admin,
        medication_id=found[1] if found and len(found) > 1 else None,
    )


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path
