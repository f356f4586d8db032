"""Referrals get an app of their own: the model moves out of ``cases``.

No data moves. The models are taken over in Django's state as they are (tables
``cases_referral`` and ``cases_referraluserobjectpermission``), then the tables are
renamed in place (with their indexes). Their content types move to this app, so the audit log entries, the
permissions and, through them, the guardian grant rows stay attached; the accounting
of disclosures keeps its model labels current.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MOVED = ["referral", "referraluserobjectpermission"]


def _move_content_types(apps, schema_editor, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    for model in MOVED:
        old = ContentType.objects.filter(app_label=source, model=model).first()
        if old is None:
            continue  # a fresh database: content types are made after the last migration
        # A `migrate` run that stopped between the two apps' migrations made an empty
        # content type for the other label (with its default permissions; no table of
        # its own existed, so nothing else points at it). The old one, with everything
        # attached to it, takes its place. Plain SQL: the ORM's cascade would look for
        # the grant tables under their other names.
        empty = ContentType.objects.filter(app_label=target, model=model).first()
        if empty is not None:
            for table in (Permission._meta.db_table, ContentType._meta.db_table):
                column = "content_type_id" if table == Permission._meta.db_table else "id"
                schema_editor.execute(
                    f"DELETE FROM {schema_editor.quote_name(table)} WHERE {column} = %s",
                    [empty.pk],
                )
        old.app_label = target
        old.save(update_fields=["app_label"])
    from django.contrib.contenttypes.models import ContentType as LiveContentType

    LiveContentType.objects.clear_cache()


def forwards(apps, schema_editor):
    _move_content_types(apps, schema_editor, "cases", "referrals")
    Disclosure = apps.get_model("releases", "Disclosure")
    Disclosure.objects.filter(object_model="cases.Referral").update(
        object_model="referrals.Referral"
    )


def backwards(apps, schema_editor):
    _move_content_types(apps, schema_editor, "referrals", "cases")
    Disclosure = apps.get_model("releases", "Disclosure")
    Disclosure.objects.filter(object_model="referrals.Referral").update(
        object_model="cases.Referral"
    )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("cases", "0005_observation_one_name_state"),
        ("releases", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Referral",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("reason", models.TextField()),
                        ("urgency", models.CharField(choices=[("routine", "Routine"), ("soon", "Within two weeks"), ("urgent", "Urgent")], default="routine", max_length=10)),
                        ("observations", models.TextField(blank=True, verbose_name="what the therapist has seen")),
                        ("release_requested", models.BooleanField(default=False, help_text="The clinic admin is asked to prepare a release.")),
                        ("status", models.CharField(choices=[("pending", "Pending"), ("accepted", "Accepted"), ("declined", "Declined"), ("withdrawn", "Withdrawn")], default="pending", max_length=10)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ("decided_at", models.DateTimeField(blank=True, null=True)),
                        ("decline_reason", models.TextField(blank=True)),
                        ("case", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="referrals", to="cases.case")),
                        ("patient", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="referrals", to="cases.patient")),
                        ("referred_by", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="referrals_made", to=settings.AUTH_USER_MODEL)),
                        ("release", models.ForeignKey(blank=True, help_text="The release this referral rests on.", null=True, on_delete=django.db.models.deletion.PROTECT, related_name="referrals", to="releases.informationrelease")),
                        ("to_prescriber", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="referrals_received", to="cases.clinician")),
                    ],
                    options={
                        "ordering": ["-created_at"],
                        "db_table": "cases_referral",
                        "indexes": [
                            models.Index(fields=["to_prescriber", "status"], name="cases_refer_to_pres_893fe7_idx"),
                            models.Index(fields=["patient", "status"], name="cases_refer_patient_d3b3a9_idx"),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="ReferralUserObjectPermission",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("content_object", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="referrals.referral")),
                        ("permission", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="auth.permission")),
                        ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "abstract": False,
                        "db_table": "cases_referraluserobjectpermission",
                        "unique_together": {("user", "permission", "content_object")},
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="referral", table=None),
        migrations.AlterModelTable(name="referraluserobjectpermission", table=None),
        migrations.RenameIndex(
            model_name="referral",
            new_name="referrals_r_to_pres_d2e2db_idx",
            old_name="cases_refer_to_pres_893fe7_idx",
        ),
        migrations.RenameIndex(
            model_name="referral",
            new_name="referrals_r_patient_fc132b_idx",
            old_name="cases_refer_patient_d3b3a9_idx",
        ),
        migrations.RunPython(forwards, backwards),
    ]
