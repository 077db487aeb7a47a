"""The prune pass: applies every row of the retention table (DESIGN.md), unrecoverably.

Deletes run in bounded batches, each its own transaction, so a request never waits long
and a crash leaves a consistent database that the next pass finishes. Results and logs
carry counts only, never content.
"""

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from functools import partial

from peewee import Model

from leftbook import clock
from leftbook.boards import Board
from leftbook.database import database, fulltext, is_sqlite, write_transaction
from leftbook.database.models import AuditEntry, FloodEvent, Post, Report, Setting, UsedChallenge
from leftbook.media.store import FileStore
from leftbook.retention import record
from leftbook.retention.files import (
    count_orphans,
    count_unreferenced,
    release_unreferenced_batch,
    remove_orphans,
    unlink_released,
)
from leftbook.retention.lock import PruneLock, prune_lock
from leftbook.retention.record import COUNT_KEYS
from leftbook.retention.threads import (
    count_doomed,
    files_released_by,
    prune_thread_batch,
    unconfigured_boards,
)

log = logging.getLogger("leftbook.retention")

REPORT_SECONDS = 7 * 86400
AUDIT_SECONDS = 30 * 86400
FLOOD_EVENT_SECONDS = 60 * 60  # flood control's longest window (threads per hour)
ORPHAN_GRACE_SECONDS = 10 * 60
BATCH_POSTS = 1000
BATCH_ROWS = 2000


class PruneStopped(Exception):
    """The pass was asked to stop (the server is shutting down); the next pass goes on."""


def _expiring_rows(now: int) -> list[tuple[str, type[Model], object]]:
    """(count key, table, condition) for the metadata rows that simply expire."""
    return [
        ("reports", Report,
         (Report.handled == True) | (Report.created < now - REPORT_SECONDS)),  # noqa: E712
        ("audit_entries", AuditEntry, AuditEntry.time < now - AUDIT_SECONDS),
        ("flood_events", FloodEvent, FloodEvent.time < now - FLOOD_EVENT_SECONDS),
        ("used_challenges", UsedChallenge, UsedChallenge.expires < now),
        ("settings", Setting, Setting.expires.is_null(False) & (Setting.expires < now)),
    ]


def _stale_hashes(board: Board, now: int):
    return Post.select(Post.id).where(
        Post.board == board.slug, Post.time < now - board.delete_window,
        Post.password_hash.is_null(False),
    )


def _all_boards(boards: dict[str, Board]) -> dict[str, Board]:
    return {**boards, **unconfigured_boards(boards)}


def count_prunable(boards: dict[str, Board], store: FileStore, *,
                   orphan_grace: float = ORPHAN_GRACE_SECONDS) -> dict[str, int]:
    """What a pass would remove now, changing nothing (`leftbook prune --dry-run`)."""
    now = clock.now()
    counts = Counter({key: 0 for key in COUNT_KEYS})
    references: Counter = Counter()
    for board in _all_boards(boards).values():
        threads, posts, stale_hashes_going, refs = count_doomed(board, now)
        counts.update(threads=threads, posts=posts)
        references.update(refs)
        counts["password_hashes"] += _stale_hashes(board, now).count() - stale_hashes_going
    counts["files"] = files_released_by(references) + count_unreferenced()
    counts["orphan_files"] = count_orphans(store, orphan_grace)
    for key, table, condition in _expiring_rows(now):
        counts[key] = table.select().where(condition).count()
    return dict(counts)


def _delete_some(table: type[Model], condition) -> int:
    """Delete up to BATCH_ROWS rows of `table` matching `condition`; how many went."""
    primary_key = table._meta.primary_key
    doomed = [pk for (pk,) in table.select(primary_key).where(condition)
              .limit(BATCH_ROWS).tuples()]
    return table.delete().where(primary_key.in_(doomed)).execute() if doomed else 0


class _Pass:
    """One running pass: its lock, its stop flag and its counts."""

    def __init__(self, lock: PruneLock, store: FileStore, stop: threading.Event | None) -> None:
        self.lock = lock
        self.store = store
        self.stop = stop
        self.counts = Counter({key: 0 for key in COUNT_KEYS})

    def between_batches(self) -> None:
        if self.stop is not None and self.stop.is_set():
            raise PruneStopped
        self.lock.renew()

    def repeat(self, batch: Callable[[], int]) -> int:
        """Run `batch` in its own write transaction until it changes nothing."""
        total = 0
        while True:
            self.between_batches()
            with write_transaction():
                changed = batch()
            if not changed:
                return total
            total += changed

    def threads(self, board: Board, max_posts: int) -> None:
        while True:
            self.between_batches()
            with write_transaction():
                threads, posts, released = prune_thread_batch(board, clock.now(), max_posts)
            if not threads:
                return
            unlink_released(self.store, released)
            self.counts.update(threads=threads, posts=posts, files=len(released))

    def unreferenced_files(self) -> None:
        while True:
            self.between_batches()
            with write_transaction():
                released = release_unreferenced_batch(BATCH_ROWS)
            if not released:
                return
            unlink_released(self.store, released)
            self.counts["files"] += len(released)

    def password_hashes(self, board: Board) -> None:
        after = [0]  # walk by id, so no batch rescans the rows already cleared

        def batch() -> int:
            query = _stale_hashes(board, clock.now()).where(Post.id > after[0])
            ids = [post_id for (post_id,) in query.order_by(Post.id).limit(BATCH_ROWS).tuples()]
            if not ids:
                return 0
            after[0] = ids[-1]
            return Post.update(password_hash=None).where(Post.id.in_(ids)).execute()

        self.counts["password_hashes"] += self.repeat(batch)

    def search_index(self) -> None:
        """Erase deleted posts' entries from the full-text index (SQLite keeps them until its
        segments are merged): merge it into one segment, one bounded step a transaction."""
        if not fulltext.purge_due():
            return
        while True:
            self.between_batches()
            with write_transaction():
                more = fulltext.purge_step()
            if not more:
                return

    def expiring_rows(self) -> None:
        for key, table, condition in _expiring_rows(clock.now()):
            self.counts[key] += self.repeat(partial(_delete_some, table, condition))


def _scrub_sqlite() -> None:
    """Give freed pages back and empty the WAL, so deleted text is in no database file."""
    database.execute_sql("PRAGMA incremental_vacuum").fetchall()
    busy = database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    if busy:
        log.warning("prune: readers kept the WAL from being emptied; the next pass retries")


def prune(boards: dict[str, Board], store: FileStore, *, dry_run: bool = False,
          stop: threading.Event | None = None, orphan_grace: float = ORPHAN_GRACE_SECONDS,
          batch_posts: int = BATCH_POSTS) -> dict[str, int]:
    """Run one prune pass (needs an open database connection); returns counts per kind.

    A pass that finds another one running returns `{"skipped": 1}` and changes nothing. A
    pass that finishes is recorded for `leftbook status` (retention/record.py).
    """
    if dry_run:
        counts = count_prunable(boards, store, orphan_grace=orphan_grace)
        log.info("prune (dry run) would remove: %s", describe(counts))
        return counts
    started, clock_started = clock.now(), time.monotonic()
    with prune_lock() as lock:
        if lock is None:
            log.info("prune skipped: another pass holds the lock")
            return {"skipped": 1}
        record.mark_running(started)
        run = _Pass(lock, store, stop)
        try:
            _run(run, _all_boards(boards).values(), store, orphan_grace, batch_posts)
        except PruneStopped:
            record.clear_running()
            raise
    if is_sqlite():
        _scrub_sqlite()
    counts = dict(run.counts)
    record.record_pass(started, time.monotonic() - clock_started, counts)
    log.info("prune removed: %s", describe(counts))
    return counts


def _run(run: _Pass, every_board: Iterable[Board], store: FileStore, orphan_grace: float,
         batch_posts: int) -> None:
    for board in every_board:
        run.threads(board, batch_posts)
    run.unreferenced_files()
    run.counts["orphan_files"] += remove_orphans(store, orphan_grace, run.between_batches)
    for board in every_board:
        run.password_hashes(board)
    run.expiring_rows()
    run.search_index()


def describe(counts: dict[str, int]) -> str:
    """`threads=3 posts=41 ...`: counts only, for logs and the CLI."""
    if counts.get("skipped"):
        return "nothing (another prune pass is running)"
    return " ".join(f"{key}={counts.get(key, 0)}" for key in COUNT_KEYS)
