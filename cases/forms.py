from django import forms
from django.utils import timezone

from .models import Observation

NO_READER = (
    "No one else can read this now: no active release of the patient covers it. Ask the "
    "clinic admin for a release (the patient signs it); until then, keep it in the note."
)


class LinkedMedicationField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        label = f"{obj.name} {obj.strength}".strip()
        if obj.patient_reported:
            label += " (patient-reported)"
        if obj.status != "active":
            label += " (stopped)"
        return label


class NoteForm(forms.ModelForm):
    """An observation, shaped to be filled in under a minute: everything optional but one
    answer, today's date, shared by default, the medication it is about preselected, and
    plain radio buttons and checkboxes that work from the keyboard."""

    adherence = forms.ChoiceField(
        choices=[("", "Not discussed"), *Observation.Adherence.choices],
        required=False,
        widget=forms.RadioSelect,
        label="Takes the medication",
    )
    response = forms.ChoiceField(
        choices=[("", "Not assessed"), *Observation.Response.choices],
        required=False,
        widget=forms.RadioSelect,
        label="Response since the last change",
    )
    attitudes = forms.MultipleChoiceField(
        choices=Observation.Attitude.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="The patient's attitude to medication",
    )
    medications = LinkedMedicationField(
        queryset=Observation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="About which medication",
        help_text="Leave empty when it is about the medication as a whole.",
    )

    class Meta:
        model = Observation
        fields = [
            "observed_on",
            "medications",
            "adherence",
            "response",
            "side_effects",
            "attitudes",
            "attitude_notes",
            "question",
            "evaluation_suggestion",
            "body",
            "needs_attention_today",
            "attention_reason",
            "shared",
        ]
        labels = {
            "observed_on": "Seen on",
            "side_effects": "Side effects",
            "attitude_notes": "About the attitude",
            "body": "Note",
            "needs_attention_today": "Needs the prescriber's attention today (a safety alert)",
            "attention_reason": "Why, in a line",
            "shared": "Share with the care team (under the patient's release)",
        }
        help_texts = {
            "side_effects": "What the patient reports, in their words if useful.",
            "shared": "Untick for psychotherapy material: a private note never leaves you.",
            "needs_attention_today": "Only for what cannot wait: the care team sees it first "
            "on every page until someone acknowledges it with what was done.",
        }
        widgets = {
            "observed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "side_effects": forms.Textarea(attrs={"rows": 2}),
            "attitude_notes": forms.Textarea(attrs={"rows": 2}),
            "question": forms.Textarea(attrs={"rows": 2}),
            "evaluation_suggestion": forms.Textarea(attrs={"rows": 2}),
            "body": forms.Textarea(attrs={"rows": 3}),
            "attention_reason": forms.Textarea(attrs={"rows": 2}),
        }

    confirm_unread = forms.BooleanField(
        required=False,
        label="Save it shared although no one can read it now",
        help_text="It reaches the care team only once a release covers it.",
    )

    def __init__(
        self,
        *args,
        medications=None,
        preselect=(),
        writer_role: str = "",
        readers=None,
        **kwargs,
    ):
        """``medications``: the patient's medications the writer may read (the choices);
        ``preselect``: the ones to tick on a new note; ``readers``: who could read it
        now if shared (``gate.readers_of_new_record``; None: not said)."""
        super().__init__(*args, **kwargs)
        self.readers = readers
        if readers is None or readers:
            del self.fields["confirm_unread"]
        elif not self.instance.pk:
            # Nobody would read it: sharing is not the default.
            self.initial.setdefault("shared", False)
        field = self.fields["medications"]
        if medications is None:
            del self.fields["medications"]
        else:
            field.queryset = medications
        if writer_role == "prescriber":
            self.fields["question"].label = "Question for the therapist"
            self.fields["response"].label = "Response since the last change (as you saw it)"
        else:
            self.fields["question"].label = "Question for the prescriber"
        self.fields["evaluation_suggestion"].label = "Suggest a medical evaluation (specialty)"
        self.fields["observed_on"].required = True
        self.fields["observed_on"].error_messages["required"] = "Give the date you saw the patient."
        # The first answer gets the focus, so the form is filled from the keyboard at once;
        # shown again with errors, the error summary gets it (static/js/forms.js).
        if not self.is_bound:
            self.fields["adherence"].widget.attrs["autofocus"] = True
        if self.instance.pk:
            if "medications" in self.fields:
                self.initial.setdefault(
                    "medications", [m.pk for m in self.instance.medications.all()]
                )
        else:
            self.initial.setdefault("observed_on", timezone.localdate())
            if "medications" in self.fields:
                self.initial.setdefault("medications", [m.pk for m in preselect])

    def clean_observed_on(self):
        observed_on = self.cleaned_data["observed_on"]
        today = timezone.localdate()
        if observed_on > today:
            raise forms.ValidationError("The date cannot be in the future.")
        unchanged = self.instance.pk and observed_on == self.instance.observed_on
        if not unchanged and (today - observed_on).days > 366:
            raise forms.ValidationError("Give a date within the last year.")
        return observed_on

    def clean(self):
        cleaned = super().clean()
        filled = any(
            cleaned.get(name)
            for name in (
                "adherence",
                "response",
                "side_effects",
                "question",
                "body",
                "attitudes",
                "attitude_notes",
                "evaluation_suggestion",
                "attention_reason",
            )
        )
        if not filled and not self.errors:
            raise forms.ValidationError(
                "The observation is empty: choose an adherence or a response, or write a note."
            )
        urgent = cleaned.get("needs_attention_today")
        reason = (cleaned.get("attention_reason") or "").strip()
        if urgent and not reason:
            self.add_error("attention_reason", "Say why it needs attention today.")
        if reason and not urgent:
            self.add_error(
                "attention_reason", "Tick 'needs attention today' as well, or leave this empty."
            )
        if cleaned.get("shared") is False and urgent:
            self.add_error(
                "needs_attention_today",
                "A private note never leaves you: tick 'Share' to alert the prescriber.",
            )
        if self.readers == [] and cleaned.get("shared"):
            for name in ("question", "needs_attention_today"):
                if cleaned.get(name) and str(cleaned.get(name)).strip():
                    self.add_error(name, NO_READER)
            if not cleaned.get("confirm_unread") and not self.errors:
                self.add_error(
                    "confirm_unread",
                    "No one can read this now (no active release covers it): untick "
                    "'Share', or confirm that it should wait shared.",
                )
        if cleaned.get("shared") is False:
            for name in ("question", "evaluation_suggestion"):
                if (cleaned.get(name) or "").strip():
                    self.add_error(
                        name,
                        "A private note never leaves you: tick 'Share' to ask the other "
                        "clinician, or move this into the note.",
                    )
        return cleaned
