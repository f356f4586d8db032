from django.apps import AppConfig


class MedicationsConfig(AppConfig):
    name = "medications"

    def ready(self) -> None:
        from cases import extensions
        from cases.categories import Category
        from releases import gate

        from . import models, panels, selectors

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
                models.PlannedStep,
                models.PlannedStepUserObjectPermission,
                "medication__patient",
                "author",
                "planned step",
                "planned_on",
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
                # A decline reason is the prescriber's text on the therapist's request.
                text_authors={"decline_reason": "handled_by"}
                if model is models.RefillRequest
                else None,
            )

        extensions.add_timeline(selectors.medication_timeline)
        extensions.add_timeline(selectors.planned_timeline)
        extensions.add_patient_panel(panels.medication_panel)
        extensions.add_home_panel(panels.waiting_panel)
        extensions.add_home_panel(panels.caseload_panel)
        extensions.add_review_panel(panels.refill_review_panel)
