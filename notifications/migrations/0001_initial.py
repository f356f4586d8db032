"""Notifications get an app of their own: the model moves out of ``messaging``.

No data moves. The model is taken over in Django's state as it is (table
``messaging_notification``), then the table and its index are renamed in place. Its
content type moves to this app, so its permissions stay attached. Notifications made
before referrals had their own URLs link to ``/messaging/referrals/...``: their links
follow the move (``/referrals/...``).
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

LINKS = [("/messaging/referrals/", "/referrals/")]


def _move_content_type(apps, schema_editor, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    old = ContentType.objects.filter(app_label=source, model="notification").first()
    if old is None:
        return  # a fresh database: content types are made after the last migration
    # A `migrate` run that stopped between the two apps' migrations made an empty
    # content type for the other label (with its default permissions; nothing else
    # points at it): the old one, with everything attached to it, takes its place.
    # Plain SQL: the ORM's cascade would look for tables under names they do not have.
    empty = ContentType.objects.filter(app_label=target, model="notification").first()
    if empty is not None:
        for table, column in (
            (Permission._meta.db_table, "content_type_id"),
            (ContentType._meta.db_table, "id"),
        ):
            schema_editor.execute(
                f"DELETE FROM {schema_editor.quote_name(table)} WHERE {column} = %s", [empty.pk]
            )
    old.app_label = target
    old.save(update_fields=["app_label"])
    from django.contrib.contenttypes.models import ContentType as LiveContentType

    LiveContentType.objects.clear_cache()


def _relink(apps, links) -> None:
    Notification = apps.get_model("notifications", "Notification")
    for old, new in links:
        for notification in Notification.objects.filter(url__startswith=old).only("pk", "url"):
            notification.url = new + notification.url[len(old) :]
            notification.save(update_fields=["url"])


def forwards(apps, schema_editor):
    _move_content_type(apps, schema_editor, "messaging", "notifications")
    _relink(apps, LINKS)


def backwards(apps, schema_editor):
    _move_content_type(apps, schema_editor, "notifications", "messaging")
    _relink(apps, [(new, old) for old, new in LINKS])


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("messaging", "0005_observation_one_name_state"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Notification",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(choices=[("referral", "Referral"), ("message", "Message"), ("question", "Consult question"), ("answer", "Answer"), ("conference", "Case conference"), ("reminder", "Reminder"), ("urgent", "Urgent")], max_length=20)),
                        ("text", models.CharField(max_length=200)),
                        ("url", models.CharField(blank=True, max_length=300)),
                        ("key", models.CharField(blank=True, max_length=200)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("read_at", models.DateTimeField(blank=True, null=True)),
                        ("dismissed_at", models.DateTimeField(blank=True, null=True)),
                        ("snoozed_until", models.DateTimeField(blank=True, null=True)),
                        ("recipient", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="notifications", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "ordering": ["-created_at"],
                        "db_table": "messaging_notification",
                        "indexes": [models.Index(fields=["recipient", "read_at", "-created_at"], name="messaging_n_recipie_5931f6_idx")],
                        "constraints": [models.UniqueConstraint(condition=models.Q(("key", ""), _negated=True), fields=("recipient", "key"), name="notification_once_per_key")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="notification", table=None),
        migrations.RenameIndex(
            model_name="notification",
            new_name="notificatio_recipie_ce9d56_idx",
            old_name="messaging_n_recipie_5931f6_idx",
        ),
        migrations.RunPython(forwards, backwards),
    ]
