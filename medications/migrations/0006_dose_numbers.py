"""The dose as numbers (strength amount and unit, quantity per dose, doses a day) on
medications, and the total daily dose before and after on their changes; the rows on
file are read from their text by ``medications.dosing`` (what cannot be read stays
text only, and the dose-change rules then do not apply to it)."""

from django.db import migrations, models


def parse(apps, schema_editor):
    from medications.dosing import dose_from_text

    Medication = apps.get_model("medications", "Medication")
    MedicationChange = apps.get_model("medications", "MedicationChange")
    for medication in Medication.objects.all().iterator():
        dose = dose_from_text(medication.strength, medication.directions, medication.frequency)
        medication.strength_amount = dose.amount
        medication.strength_unit = dose.unit
        medication.units_per_dose = dose.per_dose
        medication.doses_per_day = dose.per_day
        medication.save(
            update_fields=["strength_amount", "strength_unit", "units_per_dose", "doses_per_day"]
        )
    # A change's values are "strength · directions · frequency" (dose_summary).
    kinds = ["start", "increase", "decrease", "stop"]
    for change in MedicationChange.objects.filter(kind__in=kinds).iterator():
        before = dose_from_text(*(change.from_value.split(" · ") + ["", ""])[:3])
        after = dose_from_text(*(change.to_value.split(" · ") + ["", ""])[:3])
        units = {dose.unit for dose in (before, after) if dose.daily is not None}
        if len(units) != 1:
            continue
        change.daily_dose_before = before.daily
        change.daily_dose_after = after.daily
        change.dose_unit = units.pop()
        change.save(update_fields=["daily_dose_before", "daily_dose_after", "dose_unit"])


class Migration(migrations.Migration):
    dependencies = [("medications", "0005_load_formulary")]

    operations = [
        migrations.AddField(
            model_name="medication",
            name="strength_amount",
            field=models.DecimalField(blank=True, decimal_places=3, max_digits=10, null=True),
        ),
        migrations.AddField(
            model_name="medication",
            name="strength_unit",
            field=models.CharField(
                blank=True,
                choices=[
                    ("mg", "mg"),
                    ("mcg", "mcg"),
                    ("g", "g"),
                    ("mL", "mL"),
                    ("tablet", "tablet(s)"),
                    ("capsule", "capsule(s)"),
                    ("patch", "patch(es)"),
                    ("puff", "puff(s)"),
                    ("unit", "unit(s)"),
                ],
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="medication",
            name="units_per_dose",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                max_digits=6,
                null=True,
                verbose_name="quantity per dose",
            ),
        ),
        migrations.AddField(
            model_name="medication",
            name="doses_per_day",
            field=models.DecimalField(
                blank=True, decimal_places=1, max_digits=4, null=True, verbose_name="doses a day"
            ),
        ),
        migrations.AddField(
            model_name="medicationchange",
            name="daily_dose_before",
            field=models.DecimalField(blank=True, decimal_places=4, max_digits=16, null=True),
        ),
        migrations.AddField(
            model_name="medicationchange",
            name="daily_dose_after",
            field=models.DecimalField(blank=True, decimal_places=4, max_digits=16, null=True),
        ),
        migrations.AddField(
            model_name="medicationchange",
            name="dose_unit",
            field=models.CharField(
                blank=True,
                choices=[
                    ("mg", "mg"),
                    ("mcg", "mcg"),
                    ("g", "g"),
                    ("mL", "mL"),
                    ("tablet", "tablet(s)"),
                    ("capsule", "capsule(s)"),
                    ("patch", "patch(es)"),
                    ("puff", "puff(s)"),
                    ("unit", "unit(s)"),
                ],
                max_length=10,
            ),
        ),
        migrations.RunPython(parse, migrations.RunPython.noop),
    ]
