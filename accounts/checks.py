"""System checks: the demo setting never reaches a deployment."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def demo_mode_is_off(app_configs, **kwargs) -> list[checks.CheckMessage]:
    if getattr(settings, "DEMO_MODE", False):
        return [
            checks.Error(
                "DEMO_MODE is on: the demo's users sign in without a second factor.",
                hint="Unset DEMO_MODE (or set DEMO_MODE=false) on every real deployment.",
                id="accounts.E001",
            )
        ]
    return []
