from django import forms
from django.utils import timezone

from .models import ProgressNote


class NoteForm(forms.ModelForm):
    """An observation, shaped to be filled in under a minute."""

    attitudes = forms.MultipleChoiceField(
        choices=ProgressNote.Attitude.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="The patient's attitude to medication",
    )

    class Meta:
        model = ProgressNote
        fields = [
            "observed_on",
            "adherence",
            "response",
            "side_effects",
            "attitudes",
            "attitude_notes",
            "question",
            "evaluation_suggestion",
            "body",
            "shared",
        ]
        widgets = {
            "observed_on": forms.DateInput(attrs={"type": "date"}),
            "adherence": forms.RadioSelect,
            "response": forms.RadioSelect,
            "side_effects": forms.Textarea(attrs={"rows": 2}),
            "attitude_notes": forms.Textarea(attrs={"rows": 2}),
            "question": forms.Textarea(attrs={"rows": 2}),
            "evaluation_suggestion": forms.Textarea(attrs={"rows": 2}),
            "body": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["adherence"].choices = ProgressNote.Adherence.choices
        self.fields["response"].choices = [("", "Not assessed"), *ProgressNote.Response.choices]
        self.fields["adherence"].required = False
        self.fields["response"].required = False
        if not self.instance.pk:
            self.initial.setdefault("observed_on", timezone.localdate())

    def clean(self):
        cleaned = super().clean()
        filled = any(
            cleaned.get(name)
            for name in ("adherence", "response", "side_effects", "question", "body", "attitudes")
        )
        if not filled:
            raise forms.ValidationError(
                "The observation is empty: choose an adherence or a response, or write a note."
            )
        return cleaned
