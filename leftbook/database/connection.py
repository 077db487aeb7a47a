"""The database behind a proxy, opened from `LEFTBOOK_DATABASE_URL`."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

from peewee import (
    Database,
    DatabaseProxy,
    Model,
    OperationalError,
    PostgresqlDatabase,
    SqliteDatabase,
)
from playhouse.db_url import connect, parse

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
POOL_PARAMETERS = ("max_connections", "stale_timeout", "timeout")


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


class QueryTimeout(Exception):
    """A query ran past its time limit and was stopped."""


SQLITE_PROGRESS_STEPS = 10_000  # virtual machine steps between two looks at the clock


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Stop the queries inside once they have run `seconds` in all (QueryTimeout).

    SQLite: a progress handler on the connection; PostgreSQL: `statement_timeout` for the
    transaction the block must run in.
    """
    if not is_sqlite():
        if not database.in_transaction():
            raise RuntimeError("time_limit() on PostgreSQL needs a transaction")
        database.execute_sql(f"SET LOCAL statement_timeout = {int(seconds * 1000)}")
        try:
            yield
        except OperationalError as exc:
            if "statement timeout" in str(exc):
                raise QueryTimeout(str(exc)) from exc
            raise
        return
    deadline = time.monotonic() + seconds
    connection = database.connection()
    connection.set_progress_handler(lambda: time.monotonic() > deadline, SQLITE_PROGRESS_STEPS)
    try:
        yield
    except OperationalError as exc:
        if time.monotonic() > deadline and "interrupted" in str(exc):
            raise QueryTimeout(str(exc)) from exc
        raise
    finally:
        connection.set_progress_handler(None, 0)


def bind(url: str) -> None:
    """Point the proxy at the database `url` names, releasing a previous one (tests and the
    CLI build several apps in one process)."""
    if database.obj is not None:
        if not database.is_closed():
            database.close()
        if hasattr(database.obj, "close_all"):  # a pool: release its idle connections
            database.obj.close_all()
    database.initialize(open_database(url))


def open_read_only(url: str, timeout: float = 5.0) -> Database:
    """A connection that cannot write, for looking at a running site (`leftbook status`):
    SQLite opened read-only (`mode=ro`, `query_only`), PostgreSQL without a pool in read-only
    transactions; every wait is bounded by `timeout` seconds."""
    if url.startswith("sqlite"):
        path = quote(url.removeprefix("sqlite:///"))
        return SqliteDatabase(f"file:{path}?mode=ro", uri=True, timeout=timeout,
                              pragmas={"query_only": 1})
    params = {k: v for k, v in parse(url).items() if k not in POOL_PARAMETERS}
    options = ("-c default_transaction_read_only=on "
               f"-c statement_timeout={int(timeout * 1000)} -c lock_timeout={int(timeout * 1000)}")
    return PostgresqlDatabase(params.pop("database"), connect_timeout=max(1, round(timeout)),
                              options=options, **params)


@contextmanager
def bound_to(db: Database) -> Iterator[None]:
    """Point the models at `db`, connected, for the block; then back where they were."""
    previous = database.obj
    database.initialize(db)
    try:
        with db.connection_context():
            yield
    finally:
        database.initialize(previous)
