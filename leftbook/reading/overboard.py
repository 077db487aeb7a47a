"""The overboard: the most recently bumped threads of every board that takes part (a board
leaves by `overboard = false` in its file), each named with its board. Stickies are not
pinned here: they belong to their board's own pages."""

from collections.abc import Sequence

from peewee import fn

from leftbook.boards import Board
from leftbook.database.models import BoardState, Post, Thread
from leftbook.reading.pages import ThreadView, backlinks_of, latest_replies, posts_with_files

THREADS_PER_PAGE = 15
PAGES = 5
PREVIEW_REPLIES = 3
CATALOG_THREADS = THREADS_PER_PAGE * PAGES


def taking_part(boards: dict[str, Board]) -> list[str]:
    return [slug for slug, board in boards.items() if board.overboard]


def version(slugs: Sequence[str]) -> tuple[int, ...]:
    """Changes whenever a thread of one of `slugs` does (the boards' versions, in order)."""
    rows = dict(BoardState.select(BoardState.slug, BoardState.version)
                .where(BoardState.slug.in_(list(slugs))).tuples())
    return tuple(rows.get(slug, 0) for slug in slugs)


def page_count(slugs: Sequence[str]) -> int:
    threads = Thread.select(fn.COUNT(Thread.id)).where(Thread.board.in_(list(slugs))).scalar()
    return max(1, min(PAGES, -(-threads // THREADS_PER_PAGE)))


def _threads(slugs: Sequence[str], limit: int, offset: int = 0) -> list[ThreadView]:
    """Threads by last bump with their opening posts (two queries)."""
    threads = list(Thread.select().where(Thread.board.in_(list(slugs)))
                   .order_by(Thread.bumped.desc(), Thread.id.desc()).limit(limit).offset(offset))
    ops = {p.thread_id: p for p in posts_with_files().where(
        Post.thread.in_([t.id for t in threads]), Post.no == Post.thread_no)}
    return [ThreadView(t, [ops[t.id]]) for t in threads if t.id in ops]


def index_page(slugs: Sequence[str], page: int) -> list[ThreadView]:
    """One overboard page (from 0): opening posts with their last PREVIEW_REPLIES replies."""
    views = _threads(slugs, THREADS_PER_PAGE, page * THREADS_PER_PAGE)
    latest = latest_replies([v.thread.id for v in views], PREVIEW_REPLIES)
    for view in views:
        tail = latest.get(view.thread.id, [])
        op = view.posts[0]
        view.posts = [op, *tail]
        view.omitted_posts = view.thread.replies - len(tail)
        view.omitted_images = (view.thread.images - sum(1 for p in tail if p.file_id)
                               - (1 if op.file_id else 0))
    links = backlinks_of([p.id for v in views for p in v.posts])
    for view in views:
        view.backlinks = links
    return views


def catalog(slugs: Sequence[str]) -> list[ThreadView]:
    """The newest CATALOG_THREADS threads by last bump, opening post only."""
    return _threads(slugs, CATALOG_THREADS)
