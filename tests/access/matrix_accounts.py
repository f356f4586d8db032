"""Accounts in the access matrix: no page shows PHI. The invitation page is the clinic
admin's alone (others get the logged 404); the rest are the sign-in's own steps, tested
in tests/accounts."""

from .table import Url

ADMINS = ("clinic_admin", "other_clinic_admin")

KINDS: dict = {}

URLS = [
    Url(
        "accounts:invitation_list",
        "observation",
        "page",
        allowed=lambda persona, state: persona in ADMINS,
    ),
]

NOT_PHI = {
    "accounts:invitation_open": "a one-time link: checks the token, keeps nothing but its id",
    "accounts:invitation_accept": "the invited person's own username and password",
    "accounts:second_factor_enrol": "the user's own authenticator app",
    "accounts:recovery_codes": "the user's own recovery codes, shown once",
    "accounts:second_factor_verify": "the user's own sign-in code",
    "password_reset": "asks for an e-mail address; the same answer for every address",
    "password_reset_done": "a fixed text",
    "password_reset_confirm": "a one-time link to choose a new password",
    "password_reset_complete": "a fixed text",
}
