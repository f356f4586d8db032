from django import forms

from .models import AlertAcknowledgement


class AcknowledgeForm(forms.Form):
    """What was done about an alert, and a short note."""

    action = forms.ChoiceField(
        choices=AlertAcknowledgement.Action.choices,
        widget=forms.RadioSelect,
        label="What was done",
        error_messages={"required": "Choose what was done."},
    )
    note = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Note",
        help_text="A line: who, what was agreed, what follows.",
    )

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("action") == AlertAcknowledgement.Action.OTHER
            and not (cleaned.get("note") or "").strip()
        ):
            self.add_error("note", "Say what was done.")
        return cleaned
