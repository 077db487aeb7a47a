"""The database behind a proxy, opened from `LEFTBOOK_DATABASE_URL`."""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
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

# SQLite's busy handler sleeps 1, 2, 5, 10... ms between tries, so threads of one process
# queueing for the write lock would spend most of their time asleep: they queue here
# instead, and only other processes (a CLI command, a second instance) meet the handler.
_sqlite_writer = threading.Lock()


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


def connect_for_request() -> None:
    """Make sure this thread has a sound connection: it keeps the one its last request
    used unless that one was closed or broke since (see `release_after_request`)."""
    if not database.is_closed() and not _sound(database.connection()):
        database.close()
    if database.is_closed():
        database.connect()


def _sound(connection: Any) -> bool:
    """Whether a connection may serve the thread's next request: not in a transaction,
    and (PostgreSQL, from the driver's own flags, no round trip) neither closed nor broken."""
    if database.in_transaction():
        return False
    status = getattr(connection, "get_transaction_status", None)
    return status is None or (not connection.closed and status() == 0)  # 0: idle


def release_after_request() -> None:
    """End of a request. The connection stays with its thread for the next one: opening a
    SQLite connection and setting its pragmas, or taking one from the PostgreSQL pool
    (which asks the server whether it is alive, a round trip), cost more than a whole
    cached page. An idle connection holds no snapshot and no lock, so checkpoints and
    writers never wait on it. One left in a transaction, closed or broken is closed (the
    pool drops a broken one), and the thread's next request gets a sound one."""
    if not database.is_closed() and not _sound(database.connection()):
        database.close()


@contextmanager
def write_transaction() -> Iterator[None]:
    """A transaction that takes the write lock at once on SQLite (no upgrade deadlocks)."""
    if not is_sqlite():
        with database.atomic():
            yield
        return
    if database.in_transaction():  # nested: the outer transaction holds what it needs
        with database.atomic():
            yield
        return
    with _sqlite_writer, database.atomic(lock_type="IMMEDIATE"):
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


_compiled: dict[tuple[str, type], str] = {}


def run_compiled(name: str, build: Callable[..., Any], *params: Any) -> Any:
    """Run the query `build(*params)` makes; its SQL is generated once per database kind
    and kept under `name` (the ORM's SQL generator costs more than a small query), then
    run with each call's `params`. `build` must make a query of one shape whatever the
    values, taking them as parameters in the order given: checked when it is compiled."""
    key = (name, type(database.obj))
    sql = _compiled.get(key)
    if sql is None:
        sql, built = build(*params).sql()
        if list(built) != list(params):
            raise ValueError(f"compiled query {name}: parameters {built!r}, not {params!r}")
        _compiled[key] = sql
    return database.execute_sql(sql, params)


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
