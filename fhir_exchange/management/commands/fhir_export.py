"""Export one patient as a FHIR R4 Bundle, as a given user would download it.

    python manage.py fhir_export DEMO-1001 --as prescriber --output docs/fhir-sample-export.json

It reads exactly what the patient page's "Export (FHIR)" reads for that user (their care
team or clinic admin role, the gate, no private record) and records the reads the same
way (access entries, disclosures under a release). It is how the sample export in
``docs/`` is made from the synthetic demo (``manage.py seed_demo``).
"""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from cases import selectors as case_selectors
from cases.models import Patient
from fhir_exchange import export, selectors, services


class Command(BaseCommand):
    help = "Write one patient's FHIR R4 export (what the user may read now) to a file."

    def add_arguments(self, parser):
        parser.add_argument("mrn", help="The patient's MRN.")
        parser.add_argument("--as", dest="username", required=True, help="The reader.")
        parser.add_argument("--output", required=True, help="Where to write the JSON.")

    def handle(self, *args, mrn, username, output, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        patients = Patient.objects.filter(mrn=mrn)
        if patients.count() != 1:
            raise CommandError(f"No single patient with the MRN {mrn!r}.")
        try:
            patient = case_selectors.access_patient_by_id(user, patients.get().pk)
        except Http404:
            raise CommandError(f"{username} may not open this patient's page.") from None
        record = selectors.patient_record(user, patient)
        base = f"{settings.SITE_URL.rstrip('/')}/fhir/"
        bundle = export.bundle_of(
            record, base_url=base, self_url=f"{base}Patient/{patient.pk}/$everything"
        )
        services.export_record_reads(user=user, record=record)
        with open(output, "w", encoding="utf-8") as handle:
            json.dump(bundle, handle, ensure_ascii=False, indent=2)
            handle.write("\n")
        self.stdout.write(f"Wrote {len(bundle['entry'])} resources to {output}.")
