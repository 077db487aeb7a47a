"""The prune lock: only one pass at a time across every instance sharing the database.

PostgreSQL: a session advisory lock (released by the server if the process dies).
SQLite: a `Lock` row naming its holder (host and process) with a short expiry, taken in one
write transaction and renewed by the pass between batches. A pass killed at any moment
blocks no other for long: a holder on this host whose process is gone is taken over at once,
any other once its expiry passes.
"""

import os
import secrets
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from leftbook import clock
from leftbook.database import database, is_sqlite, write_transaction
from leftbook.database.models import Lock

PRUNE_LOCK = "prune"
LOCK_SECONDS = 60
ADVISORY_KEY = int.from_bytes(b"leftbook", "big")  # any fixed 63-bit number
_IN_THIS_PROCESS = threading.Lock()


class PruneLockLost(RuntimeError):
    """The lock row expired and another pass took it over; this pass must stop."""


class PruneLock:
    """A held prune lock; `renew()` (inside a batch transaction) keeps it from expiring."""

    def __init__(self, holder: str | None) -> None:
        self.holder = holder

    def renew(self) -> None:
        if self.holder is None:
            return
        renewed = (
            Lock.update(expires=clock.now() + LOCK_SECONDS)
            .where(Lock.name == PRUNE_LOCK, Lock.holder == self.holder)
            .execute()
        )
        if renewed != 1:
            raise PruneLockLost("another prune pass took over the lock")


def _new_holder() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(8)}"


def _holder_is_gone(holder: str) -> bool:
    """True when `holder` was a process on this host that no longer runs."""
    parts = holder.split(":")
    if len(parts) != 3 or parts[0] != socket.gethostname()[:30] or not parts[1].isdigit():
        return False
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _take_row_lock(holder: str) -> bool:
    now = clock.now()
    with write_transaction():
        row = Lock.get_or_none(Lock.name == PRUNE_LOCK)
        if row is not None and row.expires > now and not _holder_is_gone(row.holder):
            return False
        if row is None:
            Lock.create(name=PRUNE_LOCK, holder=holder, expires=now + LOCK_SECONDS)
        else:
            Lock.update(holder=holder, expires=now + LOCK_SECONDS).where(
                Lock.name == PRUNE_LOCK
            ).execute()
    return True


def _release_row_lock(holder: str) -> None:
    with write_transaction():
        Lock.delete().where(Lock.name == PRUNE_LOCK, Lock.holder == holder).execute()


@contextmanager
def prune_lock() -> Iterator[PruneLock | None]:
    """Yield a held lock, or None when another pass holds it (then skip the pass).

    A lock in this process comes first: PostgreSQL's advisory locks are re-entrant within
    one session, and two threads of one instance must not both prune either.
    """
    if not _IN_THIS_PROCESS.acquire(blocking=False):
        yield None
        return
    try:
        with _database_lock() as held:
            yield held
    finally:
        _IN_THIS_PROCESS.release()


@contextmanager
def _database_lock() -> Iterator[PruneLock | None]:
    if not is_sqlite():
        taken = database.execute_sql("SELECT pg_try_advisory_lock(%s)", (ADVISORY_KEY,))
        if not taken.fetchone()[0]:
            yield None
            return
        try:
            yield PruneLock(None)
        finally:
            database.execute_sql("SELECT pg_advisory_unlock(%s)", (ADVISORY_KEY,))
        return
    holder = _new_holder()
    if not _take_row_lock(holder):
        yield None
        return
    try:
        yield PruneLock(holder)
    finally:
        _release_row_lock(holder)


def lock_held() -> bool:
    """Whether a pass holds the prune lock now, anywhere (read-only: for `leftbook status`)."""
    if not is_sqlite():
        high, low = ADVISORY_KEY >> 32, ADVISORY_KEY & 0xFFFFFFFF
        held = database.execute_sql(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid = %s AND objid = %s AND objsubid = 1", (high, low))
        return held.fetchone()[0] > 0
    row = Lock.get_or_none(Lock.name == PRUNE_LOCK)
    return row is not None and row.expires > clock.now() and not _holder_is_gone(row.holder)
