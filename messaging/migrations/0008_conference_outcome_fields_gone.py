"""The outcome text and its recorder left the conference row for ConferenceOutcome
(0007 moved them); a migration of its own, so PostgreSQL alters the table after the
rows moved."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0007_conference_outcome_own_record"),
    ]

    operations = [
        migrations.RemoveField(
            model_name='caseconference',
            name='outcome_by',
        ),
        migrations.RemoveField(
            model_name='caseconference',
            name='outcome_notes',
        ),
    ]
