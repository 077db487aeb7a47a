"""The database behind a proxy, opened from `LEFTBOOK_DATABASE_URL`."""

from collections.abc import Iterator
from contextlib import contextmanager

from peewee import Database, DatabaseProxy, Model, SqliteDatabase
from playhouse.db_url import connect

database = DatabaseProxy()

SQLITE_PRAGMAS = {  # in this order: auto_vacuum only takes before the database file is set up
    "auto_vacuum": "incremental",
    "journal_mode": "wal",
    "secure_delete": "on",
    "foreign_keys": 1,
    "synchronous": "normal",
    "cache_size": -16000,
}
BUSY_TIMEOUT_SECONDS = 10
POOL_SIZE = 32
POOL_STALE_SECONDS = 300


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


def open_database(url: str) -> Database:
    """Open (but do not connect) the database an URL names: SQLite with its safety pragmas,
    PostgreSQL through a connection pool (a new connection per request costs a third of
    the page rate)."""
    if url.startswith("sqlite"):
        return connect(url, pragmas=SQLITE_PRAGMAS, timeout=BUSY_TIMEOUT_SECONDS)
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            url = "postgresql+pool://" + url[len(scheme):]
            return connect(url, max_connections=POOL_SIZE, stale_timeout=POOL_STALE_SECONDS)
    return connect(url)


def is_sqlite() -> bool:
    return isinstance(database.obj, SqliteDatabase)


@contextmanager
def write_transaction() -> Iterator[None]:
    """A transaction that takes the write lock at once on SQLite (no upgrade deadlocks)."""
    lock = {"lock_type": "IMMEDIATE"} if is_sqlite() else {}
    with database.atomic(**lock):
        yield


@contextmanager
def read_snapshot() -> Iterator[None]:
    """Every query inside sees one snapshot, so a page never mixes before and after a write
    (SQLite: a WAL read transaction; PostgreSQL: REPEATABLE READ, for reads only)."""
    with database.atomic():
        if not is_sqlite():
            database.execute_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def bind(url: str) -> None:
    """Point the proxy at the database `url` names, releasing a previous one (tests and the
    CLI build several apps in one process)."""
    if database.obj is not None:
        if not database.is_closed():
            database.close()
        if hasattr(database.obj, "close_all"):  # a pool: release its idle connections
            database.obj.close_all()
    database.initialize(open_database(url))
