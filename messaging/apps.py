from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Case messaging"

    def ready(self) -> None:
        from cases import extensions
        from cases.categories import Category
        from releases import gate

        from . import panels, selectors
        from .models import (
            CaseConference,
            CaseConferenceUserObjectPermission,
            ConferenceOutcome,
            ConferenceOutcomeUserObjectPermission,
            Message,
            MessageUserObjectPermission,
        )

        gate.register(
            Message,
            category=Category.MESSAGES,
            patient_path="case__patient",
            author_field="author",
            permission_model=MessageUserObjectPermission,
            label="message",
            date_field="created_at",
        )
        gate.register(
            CaseConference,
            category=Category.MESSAGES,
            patient_path="case__patient",
            author_field="requested_by",
            permission_model=CaseConferenceUserObjectPermission,
            label="case conference",
            date_field="created_at",
        )
        # The outcome is text of its own author (whoever recorded it), not the requester's.
        gate.register(
            ConferenceOutcome,
            category=Category.MESSAGES,
            patient_path="conference__case__patient",
            author_field="author",
            permission_model=ConferenceOutcomeUserObjectPermission,
            label="conference outcome",
            date_field="created_at",
        )
        extensions.add_timeline(selectors.consult_timeline)
        extensions.add_home_panel(panels.questions_panel)
        extensions.add_home_panel(panels.conferences_panel)
        extensions.add_home_panel(panels.unread_panel)
        extensions.add_patient_panel(panels.case_thread_panel)

        # Reminders (issue 6): the e-mail channel and the clinician's due panel.
        from notifications import channels

        from . import email
        from .reminders import selectors as reminder_selectors

        channels.register(email.email_channel)
        extensions.add_home_panel(reminder_selectors.due_panel)
