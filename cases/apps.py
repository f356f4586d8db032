from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Patients and cases"

    def ready(self) -> None:
        import carecollab.middleware  # noqa: F401  (connects the sign-in time receiver)
        from releases import gate

        from .models import Observation, ObservationUserObjectPermission

        gate.register(
            Observation,
            category_field="category",
            patient_path="case__patient",
            author_field="author",
            shared_field="shared",
            permission_model=ObservationUserObjectPermission,
            label="observation",
            date_field="observed_on",
        )

        from django.db.models.signals import post_migrate

        from . import extensions, fixity, selectors

        # The database refuses moving a record to another patient (cases.fixity).
        post_migrate.connect(fixity.install_triggers_after_migrate, sender=self)

        extensions.add_timeline(selectors.observation_timeline)
