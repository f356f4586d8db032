"""The entry form of a scale, built from the scale's data (one field per item)."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from .scales import Scale
from .services import missing_items_message


class AssessmentForm(forms.Form):
    """One screen per scale. Items are not ``required`` at the field level so that an
    incomplete form gets one message naming every unanswered item (and a mark on each)."""

    given_on = forms.DateField(
        label="Date given", widget=forms.DateInput(attrs={"type": "date"}), required=True
    )
    shared = forms.BooleanField(
        required=False,
        initial=True,
        label="Share with the care team under the patient's release",
        help_text="Unticked, only you will see this assessment.",
    )

    def __init__(self, *args, scale: Scale, readers=None, **kwargs):
        """``readers``: who could read it now if shared (``gate.readers_of_new_record``);
        when nobody could, sharing is not the default."""
        super().__init__(*args, **kwargs)
        self.scale = scale
        if readers == []:
            self.initial.setdefault("shared", False)
        self.initial.setdefault("given_on", timezone.localdate())
        choices = [(str(value), label) for value, label in scale.options]
        for number, text in enumerate(scale.items, 1):
            self.fields[self.item_field(number)] = forms.TypedChoiceField(
                label=f"{number}. {text}",
                choices=choices,
                coerce=int,
                required=False,
                empty_value=None,
                widget=forms.RadioSelect,
            )

    @staticmethod
    def item_field(number: int) -> str:
        return f"item_{number}"

    def item_fields(self) -> list[forms.BoundField]:
        return [self[self.item_field(number)] for number in range(1, len(self.scale.items) + 1)]

    def clean_given_on(self):
        given_on = self.cleaned_data["given_on"]
        if given_on > timezone.localdate():
            raise forms.ValidationError("An assessment cannot be dated in the future.")
        return given_on

    def clean(self):
        cleaned = super().clean()
        missing = [
            number
            for number in range(1, len(self.scale.items) + 1)
            if cleaned.get(self.item_field(number)) is None
            and self.item_field(number) not in self.errors
        ]
        for number in missing:
            self.add_error(self.item_field(number), "Not answered.")
        if missing:
            raise forms.ValidationError(missing_items_message(self.scale, missing))
        return cleaned

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "scale_code": self.scale.code,
            "answers": [data[self.item_field(n)] for n in range(1, len(self.scale.items) + 1)],
            "given_on": data["given_on"],
            "shared": data["shared"],
        }
