"""Which threads a prune pass removes, and removing them one bounded batch at a time."""

from collections import Counter
from collections.abc import Iterable, Iterator

from peewee import fn

from leftbook.boards import Board
from leftbook.database.models import Post, PostFile, Thread
from leftbook.retention.removal import bump_version, delete_threads, fall_off_order

MAX_THREADS_PER_BATCH = 200
CHUNK = 500  # ids per IN (...) list, well under every database's parameter limit


def chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _expired(board: Board, now: int):
    """Threads past `thread_ttl`, and event threads `past_event_ttl` after their event is over
    (an event thread lives until then however old it is: it may announce an event a year
    ahead)."""
    return (Thread.event_until.is_null() & (Thread.created < now - board.thread_ttl)) | (
        Thread.event_until <= now - board.past_event_ttl)


def _unexpired(board: Board, now: int):
    """The complement of `_expired` (written out: NOT over a NULL comparison is NULL)."""
    return (Thread.event_until.is_null() & (Thread.created >= now - board.thread_ttl)) | (
        Thread.event_until > now - board.past_event_ttl)


def doomed_threads(board: Board, now: int, limit: int | None) -> list[tuple[int, int]]:
    """(id, replies) of threads to prune: expired ones first, then those beyond capacity.

    Fall-off takes `fall_off_order`, counted among the threads that are not already
    expired.
    """
    expired_query = (
        Thread.select(Thread.id, Thread.replies)
        .where(Thread.board == board.slug, _expired(board, now))
        .order_by(Thread.created, Thread.id)
    )
    if limit is not None:
        expired_query = expired_query.limit(limit)
    expired = list(expired_query.tuples())
    if limit is not None and len(expired) >= limit:
        return expired
    kept = Thread.select(fn.COUNT(Thread.id)).where(
        Thread.board == board.slug, _unexpired(board, now)
    ).scalar()
    excess = kept - board.capacity
    if excess <= 0:
        return expired
    take = excess if limit is None else min(excess, limit - len(expired))
    fallen = fall_off_order(
        Thread.select(Thread.id, Thread.replies).where(_unexpired(board, now)), board, now
    ).limit(take)
    return expired + list(fallen.tuples())


def prune_thread_batch(board: Board, now: int,
                       max_posts: int) -> tuple[int, int, list[tuple[str, str, str]]]:
    """Delete up to about `max_posts` posts' worth of doomed threads (call in a transaction).

    Returns (threads, posts, files to unlink after the commit). A thread always goes whole,
    with its posts, backlinks, reports and ID salt, so no page ever shows it half-pruned.
    """
    chosen: list[int] = []
    posts = 0
    for thread_id, replies in doomed_threads(board, now, MAX_THREADS_PER_BATCH):
        if chosen and posts + replies + 1 > max_posts:
            break
        chosen.append(thread_id)
        posts += replies + 1
    if not chosen:
        return 0, 0, []
    post_count = Post.select().where(Post.thread.in_(chosen)).count()
    released = delete_threads(chosen)
    bump_version(board.slug)
    return len(chosen), post_count, released


def count_doomed(board: Board, now: int) -> tuple[int, int, int, Counter]:
    """What a pass would remove from `board`: (threads, posts, those posts with a deletion
    password past its window, references per file)."""
    ids = [thread_id for thread_id, _ in doomed_threads(board, now, None)]
    posts = stale_hashes = 0
    references: Counter = Counter()
    for chunk in chunks(ids):
        posts += Post.select().where(Post.thread.in_(chunk)).count()
        stale_hashes += Post.select().where(
            Post.thread.in_(chunk), Post.time < now - board.delete_window,
            Post.password_hash.is_null(False),
        ).count()
        references.update(
            tim for (tim,) in Post.select(Post.file)
            .where(Post.thread.in_(chunk), Post.file.is_null(False)).tuples()
        )
        references.update(
            tim for (tim,) in PostFile.select(PostFile.file).join(Post)
            .where(Post.thread.in_(chunk)).tuples()
        )
    return len(ids), posts, stale_hashes, references


def files_released_by(references: Counter) -> int:
    """How many files would lose their last reference if the counted posts went."""
    released = 0
    tims = list(references)
    for chunk in chunks(tims):
        totals: Counter = Counter()
        for model, column in ((Post, Post.file), (PostFile, PostFile.file)):
            totals.update(dict(model.select(column, fn.COUNT(model.id))
                               .where(column.in_(chunk)).group_by(column).tuples()))
        released += sum(1 for tim, total in totals.items() if total == references[tim])
    return released


def unconfigured_boards(configured: Iterable[str]) -> dict[str, Board]:
    """Boards that still have threads but no board file any more: pruned with site defaults."""
    known = set(configured)
    slugs = [slug for (slug,) in Thread.select(Thread.board).distinct().tuples()]
    return {
        slug: Board(slug=slug, title=slug, description="", rules=())
        for slug in slugs if slug not in known
    }
