import datetime as dt

from django import forms
from django.conf import settings
from django.utils import timezone

from cases.categories import Category
from cases.models import Clinician, Patient

from .models import InformationRelease


class DateInput(forms.DateInput):
    input_type = "date"


def _far_date(value: dt.date | None, field: str) -> None:
    if value and not (dt.date(1900, 1, 1) <= value <= dt.date(2200, 12, 31)):
        raise forms.ValidationError({field: "Enter a date between 1900 and 2200."})


class ReleaseForm(forms.Form):
    patient = forms.ModelChoiceField(queryset=Patient.objects.none())
    discloser_kind = forms.ChoiceField(
        choices=[("clinician", "One clinician"), ("clinic", "Every clinician of this clinic")],
        initial="clinician",
        widget=forms.RadioSelect,
        label="Who discloses",
    )
    discloser_clinician = forms.ModelChoiceField(
        queryset=Clinician.objects.none(), required=False, label="Disclosing clinician"
    )
    recipient = forms.ModelChoiceField(queryset=Clinician.objects.none(), label="Who receives")
    mutual = forms.BooleanField(
        required=False,
        label="Mutual exchange (the recipient may also disclose to the disclosing clinician)",
    )
    scope = forms.MultipleChoiceField(
        choices=Category.choices,
        widget=forms.CheckboxSelectMultiple,
        label="What information",
        help_text="Psychotherapy notes are never released through CareCollab.",
    )
    purpose = forms.CharField(max_length=300, initial="Coordination of treatment")
    effective_on = forms.DateField(widget=DateInput, initial=timezone.localdate)
    expires_on = forms.DateField(widget=DateInput, required=False, label="Expires on")
    expiration_event = forms.CharField(
        max_length=200,
        required=False,
        label="or expires at this event",
        help_text="For example: end of treatment with the recipient.",
    )

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        self.fields["patient"].queryset = Patient.objects.filter(clinic=clinic)
        clinicians = Clinician.objects.filter(
            clinic=clinic, role__in=[Clinician.Role.PRESCRIBER, Clinician.Role.THERAPIST]
        ).select_related("user")
        self.fields["discloser_clinician"].queryset = clinicians
        self.fields["recipient"].queryset = clinicians

    def clean(self):
        cleaned = super().clean()
        _far_date(cleaned.get("effective_on"), "effective_on")
        _far_date(cleaned.get("expires_on"), "expires_on")
        if cleaned.get("discloser_kind") == "clinician" and not cleaned.get("discloser_clinician"):
            self.add_error("discloser_clinician", "Choose the disclosing clinician.")
        if not cleaned.get("expires_on") and not cleaned.get("expiration_event", "").strip():
            self.add_error("expires_on", "Give an expiration date or an expiration event.")
        effective, expires = cleaned.get("effective_on"), cleaned.get("expires_on")
        if effective and expires and expires < effective:
            self.add_error("expires_on", "The release cannot expire before its effective date.")
        return cleaned

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        by_clinic = data["discloser_kind"] == "clinic"
        return {
            "patient": data["patient"],
            "discloser_clinician": None if by_clinic else data["discloser_clinician"],
            "discloser_clinic": self.clinic if by_clinic else None,
            "recipient": data["recipient"],
            "mutual": data["mutual"],
            "scope": data["scope"],
            "purpose": data["purpose"],
            "effective_on": data["effective_on"],
            "expires_on": data["expires_on"],
            "expiration_event": data["expiration_event"],
        }

    @classmethod
    def initial_from(cls, release: InformationRelease) -> dict:
        return {
            "patient": release.patient_id,
            "discloser_kind": "clinician" if release.discloser_clinician_id else "clinic",
            "discloser_clinician": release.discloser_clinician_id,
            "recipient": release.recipient_id,
            "mutual": release.mutual,
            "scope": release.scope,
            "purpose": release.purpose,
            "effective_on": release.effective_on,
            "expires_on": release.expires_on,
            "expiration_event": release.expiration_event,
        }


class SignatureForm(forms.Form):
    signer_name = forms.CharField(max_length=200, label="Signed by")
    signer_relationship = forms.ChoiceField(
        choices=InformationRelease.Relationship.choices, label="Relationship to the patient"
    )
    representative_authority = forms.CharField(
        max_length=300,
        required=False,
        label="Representative's authority",
        help_text=(
            "Required for a legal representative: e.g. guardianship order, health-care proxy."
        ),
    )
    signed_on = forms.DateField(widget=DateInput, label="Signature date")
    signed_document = forms.FileField(
        label="Signed document (PDF, PNG or JPEG)",
        help_text=f"At most {settings.SIGNED_DOCUMENT_MAX_BYTES // (1024 * 1024)} MB.",
    )
    ack_right_to_revoke = forms.BooleanField(
        label="The form states the right to revoke in writing, and how."
    )
    ack_treatment_not_conditioned = forms.BooleanField(
        label="The form states that treatment is not conditioned on signing."
    )
    ack_redisclosure = forms.BooleanField(
        label="The form states that disclosed information may be redisclosed."
    )

    def clean(self):
        cleaned = super().clean()
        signed_on = cleaned.get("signed_on")
        _far_date(signed_on, "signed_on")
        if signed_on and signed_on > timezone.localdate():
            self.add_error("signed_on", "The signature date cannot be in the future.")
        if (
            cleaned.get("signer_relationship") == InformationRelease.Relationship.REPRESENTATIVE
            and not cleaned.get("representative_authority", "").strip()
        ):
            self.add_error(
                "representative_authority",
                "Describe the representative's authority to act for the patient.",
            )
        return cleaned


class RevokeForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        label="Why is the release revoked?",
        help_text="For example: the patient revoked it in writing on this date.",
    )
