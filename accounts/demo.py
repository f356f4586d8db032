"""seed_demo step: mark the demo's users as demo accounts (idempotent)."""

from . import services


def seed(context: dict) -> None:
    services.demo_accounts_mark(
        users=[clinician.user for clinician in context["clinicians"].values()]
    )
