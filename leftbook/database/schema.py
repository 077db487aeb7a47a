"""The schema's version and its migrations: a data dir written by an older release is
upgraded in place, in one transaction, keeping every row; one from a newer release is refused.

Version 1 is the first release (commit 0fc2ca8): its tables without a version table. To change
the schema: change the model, write `_to_version_N(migrator)` that calls playhouse.migrate's
`migrate(migrator.add_column(...), migrator.sql(...), ...)`, and add `N: _to_version_N` to
MIGRATIONS; SCHEMA_VERSION follows. A migration sees the tables as version N-1 left them, so it
uses the migrator and SQL, never the models (they already describe version N). New tables and
indexes need no migration: every upgrade ends by creating what the models have and the
database lacks, and the full-text index (`fulltext.ensure_index`: it is no model).
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from peewee import BigIntegerField, BooleanField, CharField, IntegerField
from playhouse.migrate import SchemaMigrator, migrate

from leftbook.database import fulltext
from leftbook.database.connection import BaseModel, database, is_sqlite, write_transaction
from leftbook.database.models import (
    EVENT_TIME_LENGTH,
    MAX_EVENT_LINK,
    MAX_EVENT_PLACE,
    MODELS,
)
from leftbook.settings import ConfigError

# Any of these without the version table is a database written by the first release.
RELEASE_1_TABLES = frozenset({
    "audit_entry", "backlink", "board_state", "capability", "file", "file_ban", "flood_event",
    "lock", "post", "report", "setting", "thread", "used_challenge",
})
UPGRADE_LOCK = 0x1EF7DB02  # PostgreSQL advisory lock: instances starting together take turns
KEY = "schema"


class SchemaError(ConfigError):
    """The database cannot be used by this release (written by a newer one, or damaged)."""


class SchemaInfo(BaseModel):
    """One row: the version of the schema the database holds."""

    key = CharField(primary_key=True, max_length=16, default=KEY)
    version = IntegerField()


def _to_version_2(_migrator: SchemaMigrator) -> None:
    """Version 2 only adds the version table, which every upgrade creates at its end."""


def _to_version_3(migrator: SchemaMigrator) -> None:
    """Posts remember that their file was deleted (the page and the API say so)."""
    migrate(migrator.add_column("post", "file_deleted", BooleanField(default=False)))


def _to_version_4(_migrator: SchemaMigrator) -> None:
    """Full-text search: the index of every post (SQLite: an FTS5 table and its triggers;
    PostgreSQL: a generated tsvector column and its GIN index), built from the stored posts."""
    fulltext.ensure_index()


def _to_version_5(migrator: SchemaMigrator) -> None:
    """Event threads: the opening post keeps what it announces (start, end, place, link);
    the thread keeps the keys its board is ordered and pruned by."""
    def text(length: int) -> CharField:
        return CharField(max_length=length, null=True)

    migrate(
        migrator.add_column("post", "event_start", text(EVENT_TIME_LENGTH)),
        migrator.add_column("post", "event_end", text(EVENT_TIME_LENGTH)),
        migrator.add_column("post", "event_place", text(MAX_EVENT_PLACE)),
        migrator.add_column("post", "event_link", text(MAX_EVENT_LINK)),
        migrator.add_column("thread", "event_start", text(EVENT_TIME_LENGTH)),
        migrator.add_column("thread", "event_until", BigIntegerField(null=True)),
    )


def _to_version_6(migrator: SchemaMigrator) -> None:
    """Files of every kind (issue 16): a file's kind, its pages or duration. The table of a
    post's further files (post_file) is created by the upgrade's last step, as new tables
    are; existing files are images and keep being their posts' first file."""
    migrate(
        migrator.add_column("file", "kind", CharField(max_length=8, default="image")),
        migrator.add_column("file", "pages", IntegerField(default=0)),
        migrator.add_column("file", "duration", IntegerField(default=0)),
    )


# N -> the migration that turns a version N-1 schema into version N
MIGRATIONS: dict[int, Callable[[SchemaMigrator], None]] = {
    2: _to_version_2,
    3: _to_version_3,
    4: _to_version_4,
    5: _to_version_5,
    6: _to_version_6,
}
SCHEMA_VERSION = max(MIGRATIONS)


def stored_version() -> int | None:
    """The schema version in the database: None when it holds no Leftbook table (a new site)."""
    tables = set(database.get_tables())
    if SchemaInfo._meta.table_name not in tables:
        return 1 if tables & RELEASE_1_TABLES else None
    version = SchemaInfo.select(SchemaInfo.version).where(SchemaInfo.key == KEY).scalar()
    if version is None or version < 1:
        raise SchemaError(f"the database's schema_info table holds no valid version ({version}): "
                          "it was damaged or not written by Leftbook; restore a backup.")
    return version


@contextmanager
def _foreign_keys_off() -> Iterator[None]:
    """SQLite: foreign keys off around the upgrade's transaction (the pragma is ignored inside
    one); a migration that rebuilds a table would otherwise cascade-delete the rows that refer
    to it. `_check_foreign_keys` checks them before the commit instead."""
    if is_sqlite():
        database.execute_sql("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        if is_sqlite():
            database.execute_sql("PRAGMA foreign_keys = ON")


def _check_foreign_keys() -> None:
    """SQLite: refuse (roll back) an upgrade that left rows pointing at rows that are gone."""
    if is_sqlite():
        broken = database.execute_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            tables = ", ".join(sorted({row[0] for row in broken}))
            raise SchemaError(f"the upgrade would leave {len(broken)} rows in {tables} "
                              "pointing at missing rows; nothing was changed.")


def upgrade() -> int | None:
    """Bring the schema to SCHEMA_VERSION; returns the version found (None: a new database).

    Call it on an open connection, outside any transaction. Everything runs in one write
    transaction (DDL is transactional on SQLite and PostgreSQL): an upgrade that fails or is
    interrupted leaves the old schema and rows as they were. On SQLite foreign keys are off
    while it runs and are checked before it commits.
    """
    if database.in_transaction():
        raise RuntimeError("upgrade() runs its own transaction: call it outside any other")
    migrator = SchemaMigrator.from_database(database.obj)
    with _foreign_keys_off(), write_transaction():
        if not is_sqlite():
            database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (UPGRADE_LOCK,))
        found = stored_version()
        if found == SCHEMA_VERSION:
            return found
        if found is not None and found > SCHEMA_VERSION:
            raise SchemaError(
                f"the database has schema version {found}, written by a newer Leftbook "
                f"release; this release reads schema versions 1 to {SCHEMA_VERSION}. Run the "
                "newer release (or restore a backup made for this one); nothing was changed.")
        for version in range(found + 1, SCHEMA_VERSION + 1) if found else ():
            MIGRATIONS[version](migrator)
        database.create_tables([*MODELS, SchemaInfo], safe=True)
        fulltext.ensure_index()
        _check_foreign_keys()
        SchemaInfo.delete().execute()
        SchemaInfo.create(key=KEY, version=SCHEMA_VERSION)
        return found
