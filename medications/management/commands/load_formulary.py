"""python manage.py load_formulary [--file PATH]: update the shipped formulary from
medications/data/formulary.csv (see medications/formulary.py). Running it again
changes nothing."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from medications.formulary import FORMULARY_CSV, FormularyFileError, formulary_sync, read_formulary


class Command(BaseCommand):
    help = "Update the shipped psychotropic formulary from its CSV file."

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, default=FORMULARY_CSV)

    def handle(self, *args, file: Path, **options):
        try:
            rows = read_formulary(file)
        except (OSError, FormularyFileError) as error:
            raise CommandError(f"Cannot load {file}: {error}") from None
        result = formulary_sync(rows=rows)
        self.stdout.write(
            self.style.SUCCESS(
                f"Formulary: {result.created} added, {result.updated} updated, "
                f"{result.retired} retired, {result.unchanged} unchanged."
            )
        )
