"""Notification now belongs to the ``notifications`` app, which took it over (table,
content type and all) in ``notifications.0001_initial``: here it leaves this app's
state, and the reminder's link to its notification follows it. Nothing in the database
changes (the foreign key already points at the renamed table)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0005_observation_one_name_state"),
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="reminder",
                    name="notification",
                    field=models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="reminder",
                        to="notifications.notification",
                    ),
                ),
                migrations.DeleteModel(name="Notification"),
            ],
            database_operations=[],
        ),
    ]
