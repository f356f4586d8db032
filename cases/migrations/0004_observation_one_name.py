"""One name for one record: ProgressNote -> Observation, NoteReview -> ObservationReview.

Tables are renamed in place (no data moves). The permission codenames follow the model
names (the gate asks for ``view_observation``), and the accounting of disclosures keeps
its model labels current.
"""

from django.db import migrations, models


RENAMED = [
    ("progressnoteuserobjectpermission", "observationuserobjectpermission"),
    ("progressnote", "observation"),
    ("notereview", "observationreview"),
]


def rename_labels(apps, schema_editor):
    """Permissions follow the model names; a fresh database has none yet (they are made
    after the last migration)."""
    Permission = apps.get_model("auth", "Permission")
    for old, new in RENAMED:
        for permission in Permission.objects.filter(codename__endswith=f"_{old}"):
            action = permission.codename[: -len(old) - 1]
            taken = Permission.objects.filter(
                content_type_id=permission.content_type_id, codename=f"{action}_{new}"
            )
            if taken.exists():
                permission.delete()
                continue
            permission.codename = f"{action}_{new}"
            permission.name = f"Can {action} {new}"
            permission.save(update_fields=["codename", "name"])
    Disclosure = apps.get_model("releases", "Disclosure")
    Disclosure.objects.filter(object_model="cases.ProgressNote").update(
        object_model="cases.Observation"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("cases", "0003_note_review"),
        ("releases", "0001_initial"),
        # Rename after every migration that points at the old name.
        ("medications", "0002_medication_outside_prescriber_refill_index"),
        ("messaging", "0003_case_messages_and_conferences"),
    ]

    operations = [
        migrations.RenameModel("ProgressNote", "Observation"),
        migrations.RenameModel("ProgressNoteUserObjectPermission", "ObservationUserObjectPermission"),
        migrations.RenameModel("NoteReview", "ObservationReview"),
        # SQLite rebuilds the table on a column rename: drop what names the old column.
        migrations.RemoveConstraint(model_name="observationreview", name="note_review_once"),
        migrations.RemoveIndex(model_name="observationreview", name="cases_noter_reviewe_4817d6_idx"),
        migrations.RenameField("ObservationReview", "note", "observation"),
        migrations.RenameField("ObservationReview", "note_updated_at", "observation_updated_at"),
        migrations.AddConstraint(
            model_name="observationreview",
            constraint=models.UniqueConstraint(
                fields=["observation", "reviewer"], name="observation_review_once"
            ),
        ),
        migrations.RunPython(rename_labels, migrations.RunPython.noop),
    ]
