"""A message points at an observation (the record formerly called a progress note)."""

from django.db import migrations, models
from django.db.models import Q


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0004_observation_one_name"),
        ("messaging", "0003_case_messages_and_conferences"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="message", name="message_points_at_one_record"),
        migrations.RenameField("Message", "note", "observation"),
        migrations.AddConstraint(
            model_name="message",
            constraint=models.CheckConstraint(
                condition=Q(medication__isnull=True) | Q(observation__isnull=True),
                name="message_points_at_one_record",
            ),
        ),
    ]
