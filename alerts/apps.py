from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Safety alerts"

    def ready(self) -> None:
        from cases import extensions
        from releases import gate

        from . import selectors
        from .models import (
            AlertAcknowledgement,
            AlertAcknowledgementUserObjectPermission,
            SafetyAlert,
            SafetyAlertUserObjectPermission,
        )

        gate.register(
            SafetyAlert,
            category_field="category",
            patient_path="patient",
            author_field="author",
            shared_field="shared",
            permission_model=SafetyAlertUserObjectPermission,
            label="safety_alert",
            date_field="raised_at",
        )
        gate.register(
            AlertAcknowledgement,
            category_field="category",
            patient_path="alert__patient",
            author_field="acknowledged_by",
            shared_field="shared",
            permission_model=AlertAcknowledgementUserObjectPermission,
            label="alert_acknowledgement",
            date_field="acknowledged_at",
        )
        extensions.add_timeline(selectors.alert_timeline)
