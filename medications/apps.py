from django.apps import AppConfig


class MedicationsConfig(AppConfig):
    name = "medications"

    def ready(self) -> None:
        from cases.categories import Category
        from releases import gate

        from . import models

        for model, permission_model, patient_path, author, label, date_field in [
            (
                models.Medication,
                models.MedicationUserObjectPermission,
                "patient",
                "recorded_by",
                "medication",
                "start_date",
            ),
            (
                models.MedicationChange,
                models.MedicationChangeUserObjectPermission,
                "medication__patient",
                "author",
                "medication change",
                "effective_on",
            ),
            (
                models.RefillRequest,
                models.RefillRequestUserObjectPermission,
                "medication__patient",
                "requested_by",
                "refill request",
                "requested_at",
            ),
        ]:
            gate.register(
                model,
                category=Category.MEDICATIONS,
                patient_path=patient_path,
                author_field=author,
                permission_model=permission_model,
                label=label,
                date_field=date_field,
            )
