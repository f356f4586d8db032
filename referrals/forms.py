"""Forms of the referral pages: they validate input; the services act."""

from django import forms

from .models import Referral


class ReferralForm(forms.Form):
    """A therapist's referral for medication evaluation."""

    patient = forms.ModelChoiceField(queryset=None, empty_label="Choose a patient")
    to_prescriber = forms.ModelChoiceField(
        queryset=None, label="Refer to", empty_label="Choose a prescriber"
    )
    urgency = forms.ChoiceField(
        choices=Referral.Urgency.choices, initial=Referral.Urgency.ROUTINE, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        label="Reason for the referral",
        help_text="What you would like the prescriber to evaluate.",
    )
    observations = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=10000,
        required=False,
        label="What you have seen",
        help_text="Symptoms, course, what the patient says about medication. "
        "Only what the prescriber needs.",
    )
    release = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="The information release it rests on",
        empty_label="None yet: ask the clinic admin to prepare one",
        help_text="The prescriber can open the referral once a release from you to them, "
        "covering messages, is active.",
    )

    def __init__(self, *args, patients, prescribers, releases, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = patients
        self.fields["to_prescriber"].queryset = prescribers
        self.fields["release"].queryset = releases
        self.fields["release"].label_from_instance = self.release_label

    @staticmethod
    def release_label(release) -> str:
        return (
            f"#{release.pk} · {release.patient.family_name}, {release.patient.given_name} → "
            f"{release.recipient} · {release.get_status_display()}"
        )

    def clean(self):
        cleaned = super().clean()
        release, patient = cleaned.get("release"), cleaned.get("patient")
        prescriber = cleaned.get("to_prescriber")
        if release and patient and release.patient_id != patient.pk:
            self.add_error("release", "This release is for another patient.")
        elif release and prescriber and release.recipient_id != prescriber.pk:
            self.add_error("release", "This release is to another prescriber.")
        return cleaned


class DeclineForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        label="Why do you decline?",
        help_text="The referring therapist reads this. For example: another prescriber "
        "is better placed, or no evaluation is needed now.",
    )
