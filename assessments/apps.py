from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "Measurement-based care"

    def ready(self) -> None:
        from cases import extensions
        from cases.categories import Category
        from releases import gate

        from . import panels, selectors
        from .models import Assessment, AssessmentUserObjectPermission

        gate.register(
            Assessment,
            category=Category.ASSESSMENTS,
            patient_path="case__patient",
            author_field="administered_by",
            shared_field="shared",
            permission_model=AssessmentUserObjectPermission,
            label="assessment",
            date_field="given_on",
        )
        extensions.add_timeline(selectors.assessment_timeline)
        extensions.add_patient_panel(panels.trend_panel)
        extensions.add_preview_panel(panels.preview_scores_panel)
        extensions.add_review_panel(panels.not_improving_panel)
        extensions.add_home_panel(panels.not_improving_home_panel)
