"""Forms of the messaging pages: they validate input; the services act."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone

from carecollab.forms import datetime_field

from .models import CaseConference, Message


class MessageForm(forms.Form):
    """A message or a consult question in a case thread, optionally about one record."""

    kind = forms.ChoiceField(
        choices=Message.Kind.choices,
        initial=Message.Kind.MESSAGE,
        widget=forms.RadioSelect,
        label="Send as",
        help_text="A consult question stays open in the care team's queue until answered.",
    )
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), max_length=5000, label="Your message"
    )
    about = forms.ChoiceField(required=False, label="About (optional)")

    def __init__(self, *args, medications=(), observations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.medications = {m.pk: m for m in medications}
        self.observations = {n.pk: n for n in observations}
        choices = [("", "Nothing in particular")]
        if self.medications:
            choices.append(
                (
                    "Medications",
                    [
                        (f"medication:{m.pk}", f"{m.name} {m.strength}".strip())
                        for m in self.medications.values()
                    ],
                )
            )
        if self.observations:
            choices.append(
                (
                    "Observations",
                    [
                        (f"observation:{n.pk}", f"Observation of {n.observed_on:%Y-%m-%d}")
                        for n in self.observations.values()
                    ],
                )
            )
        self.fields["about"].choices = choices

    def clean_body(self):
        body = self.cleaned_data["body"].strip()
        if not body:
            raise forms.ValidationError("Write the message.")
        return body

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        kwargs = {"kind": data["kind"], "body": data["body"]}
        about = data.get("about") or ""
        if about.startswith("medication:"):
            kwargs["medication"] = self.medications[int(about.split(":", 1)[1])]
        elif about.startswith("observation:"):
            kwargs["observation"] = self.observations[int(about.split(":", 1)[1])]
        return kwargs


class AnswerForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), max_length=5000, label="Your answer"
    )

    def clean_body(self):
        body = self.cleaned_data["body"].strip()
        if not body:
            raise forms.ValidationError("Write the answer.")
        return body


AGENDA_HELP = (
    "For example: are there issues in the therapeutic alliance? What would strengthen it? "
    "How does the patient perceive their pharmacology care?"
)


def _future(value: dt.datetime) -> dt.datetime:
    if value and value <= timezone.now():
        raise forms.ValidationError("Propose a time in the future.")
    return value


class ConferenceRequestForm(forms.Form):
    agenda = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}), max_length=5000, help_text=AGENDA_HELP
    )
    proposed_at = datetime_field(label="Proposed time")
    billing_told = forms.BooleanField(
        required=False,
        label=CaseConference._meta.get_field("billing_told").verbose_name.capitalize(),
    )

    def clean_proposed_at(self):
        return _future(self.cleaned_data["proposed_at"])


class ProposeTimeForm(forms.Form):
    proposed_at = datetime_field(label="Another time")

    def clean_proposed_at(self):
        return _future(self.cleaned_data["proposed_at"])


class OutcomeForm(forms.Form):
    held_on = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), label="Held on", initial=timezone.localdate
    )
    outcome_notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=10000,
        label="Outcome",
        help_text="What you agreed on, and what each of you will do.",
    )
    billing_told = forms.BooleanField(
        required=False,
        label=CaseConference._meta.get_field("billing_told").verbose_name.capitalize(),
    )

    def clean_held_on(self):
        held_on = self.cleaned_data["held_on"]
        if held_on and held_on > timezone.localdate():
            raise forms.ValidationError("A conference cannot be held in the future.")
        return held_on
