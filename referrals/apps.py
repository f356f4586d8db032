from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = "Referrals"

    def ready(self) -> None:
        from cases import extensions
        from cases.categories import Category
        from releases import gate

        from . import panels
        from .models import Referral, ReferralUserObjectPermission

        # The addressed prescriber reads a referral under an active release before they
        # join the care team (that is what accepting it does).
        gate.register(
            Referral,
            category=Category.MESSAGES,
            patient_path="patient",
            author_field="referred_by",
            addressee_field="to_prescriber__user",
            # A decline reason is the prescriber's text on the therapist's referral.
            text_authors={"decline_reason": "to_prescriber__user"},
            permission_model=ReferralUserObjectPermission,
            label="referral",
            date_field="created_at",
        )
        extensions.add_home_panel(panels.referrals_panel)
        extensions.add_home_panel(panels.referrals_waiting_panel)
