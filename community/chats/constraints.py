"""An exclusion constraint that exists only where the database can hold it (PostgreSQL).

Other backends skip it silently; on them the partial unique constraint on (host, start) and
the service's row lock are the guarantee. Keeping it in Meta.constraints (rather than raw SQL
in a migration) means the migration state knows about it and PostgreSQL enforces it.
"""

from typing import Any

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.operations import BtreeGistExtension
from django.db import DEFAULT_DB_ALIAS, connections


def _is_postgres(schema_editor: Any) -> bool:
    return schema_editor.connection.vendor == "postgresql"


class PostgresExclusionConstraint(ExclusionConstraint):
    def constraint_sql(self, model: Any, schema_editor: Any) -> Any:
        return super().constraint_sql(model, schema_editor) if _is_postgres(schema_editor) else None

    def create_sql(self, model: Any, schema_editor: Any) -> Any:
        return super().create_sql(model, schema_editor) if _is_postgres(schema_editor) else None

    def remove_sql(self, model: Any, schema_editor: Any) -> Any:
        return super().remove_sql(model, schema_editor) if _is_postgres(schema_editor) else None

    def validate(self, model: Any, instance: Any, exclude: Any = None, using: str = DEFAULT_DB_ALIAS) -> None:
        if connections[using].vendor == "postgresql":
            super().validate(model, instance, exclude=exclude, using=using)


class BtreeGistExtensionOnPostgres(BtreeGistExtension):
    """Installs btree_gist on PostgreSQL (needed to mix `=` on host with `&&` on ranges); a no-op elsewhere.

    Going backwards it leaves the extension in place: other tables may rely on it.
    """

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        return None
