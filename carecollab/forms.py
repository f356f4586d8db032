"""Helpers shared by the apps' forms."""

from django import forms
from django.core.exceptions import ValidationError


def add_service_error(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when the form has
    that field, otherwise at the top, so no message is ever lost."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = field if field in form.fields else None
            for item in errors:
                form.add_error(target, item.messages if target is None else item)
        return
    form.add_error(None, error.messages)


def bound_data(request) -> tuple | tuple[None, None]:
    """``(data, files)`` to bind a form to: the POST, even an empty one, or None on GET.

    (``request.POST or None`` would treat an empty POST as a GET and answer it with a
    blank form and no message.)
    """
    if request.method == "POST":
        return request.POST, request.FILES
    return None, None


DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=DATETIME_FORMAT)


def datetime_field(**kwargs) -> forms.DateTimeField:
    return forms.DateTimeField(
        widget=DateTimeInput, input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"], **kwargs
    )
