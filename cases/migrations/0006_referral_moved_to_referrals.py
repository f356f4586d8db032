"""Referral and its grant table now belong to the ``referrals`` app, which took them
over (tables, content types and all) in ``referrals.0001_initial``: here they leave
this app's state only. Nothing in the database changes."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0005_observation_one_name_state"),
        ("referrals", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="ReferralUserObjectPermission"),
                migrations.DeleteModel(name="Referral"),
            ],
            database_operations=[],
        ),
    ]
