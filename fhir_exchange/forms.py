"""Forms of the import pages: the upload, and the choice of what to add."""

from __future__ import annotations

from django import forms
from django.conf import settings

from .importing import Candidate


class UploadForm(forms.Form):
    file = forms.FileField(
        label="FHIR medication list (JSON)",
        help_text="The .json file as your EHR exported it.",
        error_messages={
            "required": "Choose the JSON file your EHR exported.",
            "empty": "The file is empty.",
            "invalid": "Upload a file.",
        },
        widget=forms.ClearableFileInput(
            attrs={"accept": ".json,application/json,application/fhir+json"}
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.FHIR_IMPORT_MAX_BYTES
        if upload.size is None or upload.size > limit:
            raise forms.ValidationError(
                f"The file is larger than {limit // 1024} KB: a medication list is smaller. "
                "Export only the medications."
            )
        if upload.size == 0:
            raise forms.ValidationError("The file is empty.")
        upload.seek(0)
        return upload.read(limit + 1)


class ChooseForm(forms.Form):
    """One checkbox and one 'record as' choice per entry that can be added."""

    def __init__(
        self,
        data=None,
        *,
        candidates: list[Candidate],
        record_as: list,
        check_patient=False,
        **kwargs,
    ):
        super().__init__(data, **kwargs)
        self.candidates = candidates
        if check_patient:
            self.fields["patient_checked"] = forms.BooleanField(
                label="I checked: this list is this patient's.",
                required=True,
                error_messages={"required": "Say that you checked this list is this patient's."},
            )
        self.rows = []
        for candidate in candidates:
            if not candidate.choosable:
                self.rows.append((candidate, None, None))
                continue
            add = forms.BooleanField(required=False, label=f"Add {candidate.formulary_name}")
            as_ = forms.ChoiceField(
                choices=record_as,
                initial=record_as[0][0] if record_as else None,
                label="Record as",
                required=False,
                error_messages={"invalid_choice": "Choose how to record it."},
            )
            self.fields[f"add_{candidate.index}"] = add
            self.fields[f"as_{candidate.index}"] = as_
            self.rows.append(
                (candidate, self[f"add_{candidate.index}"], self[f"as_{candidate.index}"])
            )

    def clean(self):
        cleaned = super().clean()
        chosen = {}
        for candidate in self.candidates:
            if candidate.choosable and cleaned.get(f"add_{candidate.index}"):
                record_as = cleaned.get(f"as_{candidate.index}")
                if not record_as:
                    self.add_error(f"as_{candidate.index}", "Choose how to record it.")
                chosen[candidate.index] = record_as
        if not chosen and not self.errors:
            raise forms.ValidationError("Choose at least one medication to add.")
        cleaned["choices"] = chosen
        return cleaned
