"""The threads a reader watches, as they are now: replies so far and what the thread is
called. The list comes from the reader's browser (plain values in); nothing is stored."""

from collections.abc import Iterable
from dataclasses import dataclass

from leftbook.database.models import Post, Thread

TEASER = 80  # characters of the opening post when the thread has no subject


@dataclass(frozen=True)
class WatchedThread:
    board: str
    no: int
    title: str
    replies: int


def current(threads: Iterable[tuple[str, int]]) -> dict[tuple[str, int], WatchedThread]:
    """The threads among `threads` (board, number) that still exist, in one query."""
    wanted = set(threads)
    if not wanted:
        return {}
    rows = (Thread.select(Thread.board, Thread.no, Thread.replies, Post.subject, Post.body)
            .join(Post, on=(Post.thread == Thread.id) & (Post.no == Thread.no))
            .where(Thread.board.in_(sorted({b for b, _ in wanted})),
                   Thread.no.in_(sorted({n for _, n in wanted})))
            .tuples())
    found = {}
    for board, no, replies, subject, body in rows:
        if (board, no) in wanted:
            title = subject or " ".join(body.split())
            title = title if len(title) <= TEASER else title[:TEASER - 1] + "\u2026"
            found[(board, no)] = WatchedThread(board, no, title, replies)
    return found
