"""A record's patient never changes once written.

Every gated record reaches its patient through a chain of foreign keys (its
``patient_path`` as registered with the gate: ``case__patient``,
``medication__patient``, ``patient``). Each hop of that chain is fixed once the row is
written: moving a case to another patient, or an observation to another case, would
carry its text (and its accounting of disclosures) to a patient whose releases never
covered it. The gate declares the hops here when an app registers a kind
(:func:`fix`); the refusal then holds at three levels:

- the admin shows the column read-only on a change page;
- ``full_clean`` (every service calls it) refuses a moved row (:class:`FixedOnceWritten`);
- the database refuses the UPDATE itself, whoever issues it (a trigger per column on
  PostgreSQL and SQLite, installed after every ``migrate`` by :func:`install_triggers`,
  so a newly registered kind is covered by the next migrate).

``cases`` imports no other app: the gate (which imports ``cases``) fills the registry.
"""

from __future__ import annotations

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import connections, models

_fixed: dict[type[models.Model], set[str]] = defaultdict(set)

MESSAGE = "The patient of a record, and the record it belongs to, cannot change once written."


def fix(model: type[models.Model], field_name: str) -> None:
    """Declare ``model.field_name`` (a foreign key) fixed once the row is written."""
    field = model._meta.get_field(field_name)
    if not field.many_to_one:
        raise ValueError(f"{model.__name__}.{field_name} is not a foreign key.")
    _fixed[model].add(field_name)


def fix_path(model: type[models.Model], path: str) -> None:
    """Fix every hop of ``path`` (``case__patient``: ``model.case`` and ``Case.patient``)."""
    current = model
    for part in path.split("__"):
        fix(current, part)
        current = current._meta.get_field(part).related_model


def fixed_fields(model: type[models.Model]) -> list[str]:
    """The fixed foreign keys of ``model`` (field names)."""
    return sorted(_fixed.get(model, ()))


def fixed_columns() -> list[tuple[str, str]]:
    """(table, column) of every fixed foreign key, for the triggers."""
    return sorted(
        {
            (model._meta.db_table, model._meta.get_field(name).column)
            for model, names in _fixed.items()
            for name in names
        }
    )


class FixedOnceWritten(models.Model):
    """Refuses, in ``full_clean``, a row whose fixed foreign keys moved since it was
    read (compared with the values loaded from the database: no extra query)."""

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._fixed_loaded = {
            attname: instance.__dict__[attname]
            for attname in (cls._meta.get_field(name).attname for name in fixed_fields(cls))
            if attname in instance.__dict__
        }
        return instance

    def moved_fields(self) -> list[str]:
        """The fixed foreign keys that differ from what was read from the database."""
        loaded = getattr(self, "_fixed_loaded", None)
        if self._state.adding or loaded is None:
            return []
        moved = []
        for name in fixed_fields(type(self)):
            attname = self._meta.get_field(name).attname
            if attname in loaded and getattr(self, attname) != loaded[attname]:
                moved.append(name)
        return moved

    def clean_fields(self, exclude=None) -> None:
        super().clean_fields(exclude=exclude)
        if self.moved_fields():
            # Not keyed by field: a form that does not show the field still says why.
            raise ValidationError(MESSAGE)


# --- the database's own refusal ----------------------------------------------------


def _trigger_name(table: str, column: str) -> str:
    return f"fixed_{table}_{column}"[:63]


def install_triggers(using: str = "default") -> int:
    """(Re)create one trigger per fixed column that rejects an UPDATE changing it.
    Idempotent; PostgreSQL and SQLite. Returns how many columns are guarded."""
    connection = connections[using]
    tables = set(connection.introspection.table_names())
    columns = [(table, column) for table, column in fixed_columns() if table in tables]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE OR REPLACE FUNCTION carecollab_refuse_move() RETURNS trigger "
                "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION "
                "'%.% cannot change once written (the record''s patient is fixed)', "
                "TG_TABLE_NAME, TG_ARGV[0] USING ERRCODE = 'integrity_constraint_violation'; "
                "END $$"
            )
            for table, column in columns:
                name = _trigger_name(table, column)
                quoted_table = connection.ops.quote_name(table)
                quoted_column = connection.ops.quote_name(column)
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {quoted_table}")
                cursor.execute(
                    f"CREATE TRIGGER {name} BEFORE UPDATE OF {quoted_column} ON {quoted_table} "
                    f"FOR EACH ROW WHEN (OLD.{quoted_column} IS DISTINCT FROM "
                    f"NEW.{quoted_column}) EXECUTE FUNCTION carecollab_refuse_move('{column}')"
                )
        elif connection.vendor == "sqlite":
            for table, column in columns:
                name = _trigger_name(table, column)
                quoted_table = connection.ops.quote_name(table)
                quoted_column = connection.ops.quote_name(column)
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                cursor.execute(
                    f"CREATE TRIGGER {name} BEFORE UPDATE OF {quoted_column} ON {quoted_table} "
                    f"FOR EACH ROW WHEN OLD.{quoted_column} IS NOT NEW.{quoted_column} "
                    f"BEGIN SELECT RAISE(ABORT, '{table}.{column} cannot change once written'); "
                    "END"
                )
        else:  # pragma: no cover - only the two supported databases
            return 0
    return len(columns)


def install_triggers_after_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate receiver (cases' AppConfig): guard every fixed column."""
    install_triggers(using)
