"""python manage.py seed_demo: synthetic demo data. Running it again changes nothing."""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import import_string

# Each app adds its own step; a step is idempotent on its own and receives the shared
# context (users, patients, ...) built by the steps before it.
DEMO_STEPS = [
    "cases.demo.seed",
    "accounts.demo.seed",
    "releases.demo.seed",
    "medications.demo.seed",
    "referrals.demo.seed",
    "messaging.demo.seed",
    "assessments.demo.seed",
    "alerts.demo.seed",
]


class Command(BaseCommand):
    help = "Create the synthetic demo clinic, its users and patients (idempotent)."

    def handle(self, *args, **options):
        context: dict = {}
        with transaction.atomic():
            for step in DEMO_STEPS:
                import_string(step)(context)
        self.stdout.write(
            self.style.SUCCESS(
                "Demo data ready. Sign in as prescriber, therapist, outsider or clinicadmin "
                "with the password carecollab-demo."
            )
        )
