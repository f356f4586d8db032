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
