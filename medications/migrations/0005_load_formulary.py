"""Load the shipped formulary from medications/data/formulary.csv, and link the
medications already on file to it by name (generic, brand, or generic with a
formulation suffix), taking the formulary's DEA schedule: a hand-picked schedule that
contradicted it, or one left out, no longer hides a controlled substance from the
late-refill rule.

Later edits of the file reach the table through ``manage.py load_formulary`` (audited,
through the service); this migration runs once.
"""

from django.db import migrations


def load(apps, schema_editor):
    from medications.formulary import COLUMNS, _candidates, read_formulary

    FormularyEntry = apps.get_model("medications", "FormularyEntry")
    Medication = apps.get_model("medications", "Medication")
    entries = []
    for row in read_formulary():
        entry, _ = FormularyEntry.objects.update_or_create(
            clinic=None,
            generic_name=row["generic_name"],
            defaults={key: row[key] for key in COLUMNS if key != "generic_name"},
        )
        entries.append(entry)
    names = {}
    for entry in entries:
        brands = [b.strip().lower() for b in entry.brand_names.split(";") if b.strip()]
        for name in {entry.generic_name, *brands, *_candidates(entry.generic_name)}:
            names.setdefault(name, entry)
    for medication in Medication.objects.filter(formulary_entry__isnull=True):
        entry = next(
            (names[name] for name in _candidates(medication.name) if name in names), None
        )
        if entry is not None:
            medication.formulary_entry = entry
            medication.controlled_schedule = entry.dea_schedule
            medication.save(update_fields=["formulary_entry", "controlled_schedule"])


def unlink(apps, schema_editor):
    apps.get_model("medications", "Medication").objects.update(formulary_entry=None)
    apps.get_model("medications", "FormularyEntry").objects.filter(clinic=None).delete()


class Migration(migrations.Migration):
    dependencies = [("medications", "0004_formulary")]

    operations = [migrations.RunPython(load, unlink)]
