"""Forms of accounts: an invitation, accepting it, and a one-time code."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import (
    password_validators_help_text_html,
    validate_password,
)
from django.core.exceptions import ValidationError

from cases.models import Clinician

User = get_user_model()


class InvitationForm(forms.Form):
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField(label="E-mail", help_text="The invitation link goes here.")
    role = forms.ChoiceField(choices=Clinician.Role.choices)
    credential = forms.CharField(
        max_length=20, required=False, help_text="For example MD, NP, LCSW, PhD."
    )


class InvitationAcceptForm(forms.Form):
    """The invited person chooses a username and their own password."""

    username = forms.CharField(
        max_length=150,
        validators=User._meta.get_field("username").validators,
        help_text="Letters, digits and @/./+/-/_ only.",
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, invitation, **kwargs):
        super().__init__(*args, **kwargs)
        self.invitation = invitation

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ.")
        elif first:
            # The validators compare the password with who the person is.
            person = User(
                username=cleaned.get("username", ""),
                first_name=self.invitation.first_name,
                last_name=self.invitation.last_name,
                email=self.invitation.email,
            )
            try:
                validate_password(first, user=person)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class CodeForm(forms.Form):
    """A code of the authenticator app (6 digits) or a recovery code."""

    code = forms.CharField(
        label="Code",
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split())
