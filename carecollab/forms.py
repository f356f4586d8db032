"""Form fields shared by the apps' forms (the view helpers are ``carecollab.posting``)."""

from django import forms

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=DATETIME_FORMAT)


def datetime_field(**kwargs) -> forms.DateTimeField:
    return forms.DateTimeField(
        widget=DateTimeInput, input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"], **kwargs
    )


class EnteredInErrorForm(forms.Form):
    """Why a record (a medication change, an observation, an assessment) was entered in
    error; the record's app service marks it."""

    reason = forms.CharField(
        label="Why was it entered in error?",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example: wrong patient, wrong dose typed, entered twice. It stays in "
        "the history, struck through, with your name and this reason.",
        error_messages={"required": "Say why it was entered in error."},
    )
