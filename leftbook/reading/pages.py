"""Read-side queries for pages and the API; each costs the same however many posts are stored."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from peewee import JOIN, SQL, fn

from leftbook import clock
from leftbook.boards import Board
from leftbook.database import run_compiled
from leftbook.database.models import (
    Backlink,
    BoardState,
    File,
    Post,
    PostFile,
    Report,
    Setting,
    Thread,
)
from leftbook.events import listing
from leftbook.refusal import THREAD_GONE, Refusal

DASHBOARD_LIMIT = 100
CHUNK = 500  # ids in one IN (...): old SQLite takes at most 999 parameters


@dataclass
class ThreadView:
    thread: Thread
    posts: list[Post]
    omitted_posts: int = 0
    omitted_images: int = 0
    backlinks: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    id_counts: Counter = field(default_factory=Counter)
    event_state: str | None = None  # on event boards: listing.UPCOMING, TODAY, PAST or None


def board_version(slug: str) -> int:
    """The board's version: every change to what its pages show bumps it (one small
    query, its SQL made once: pages ask for it on every request, 304s included)."""
    row = run_compiled("board_version", lambda s: BoardState.select(BoardState.version).where(
        BoardState.slug == s), slug).fetchone()
    return (row[0] if row else 0) or 0


def board_state(slug: str, settings: list[str]) -> tuple[int, dict[str, str]]:
    """The board's version and those of the `settings` keys in force, in one round trip
    (what every request for a board page needs; see web/fastpath.py)."""

    def build(s: str, *rest: object):
        version = BoardState.select(BoardState.version, SQL("NULL"), SQL("NULL")).where(
            BoardState.slug == s)
        found = Setting.select(SQL("NULL"), Setting.key, Setting.value).where(
            Setting.key.in_(list(rest[:-1])),
            Setting.expires.is_null() | (Setting.expires > rest[-1]))
        return version + found  # UNION ALL

    rows = run_compiled(f"board_state:{len(settings)}", build, slug, *settings, clock.now())
    version, found = 0, {}
    for number, key, value in rows.fetchall():
        if key is None:
            version = number or 0
        else:
            found[key] = value
    return version, found


def listing_version(board: Board, version: int | None = None) -> tuple[int, ...]:
    """What a board's pages are made from: its version (read unless given), and on an event
    board also the half-day, since events become today's and past ones as time passes."""
    version = board_version(board.slug) if version is None else version
    return (version, listing.period(clock.now())) if board.events else (version,)


def _event_state(thread: Thread, now: int) -> str | None:
    return listing.state(thread.event_start, thread.event_until, now)


def posts_with_files():
    return Post.select(Post, File).join(File, JOIN.LEFT_OUTER)


def attach_files(posts: list[Post]) -> list[Post]:
    """Load the further files of `posts` in one query a few hundred posts (`Post.files`)."""
    ids = [post.id for post in posts if post.file_id]
    extra: dict[int, list[File]] = defaultdict(list)
    for start in range(0, len(ids), CHUNK):
        rows = (PostFile.select(PostFile, File).join(File)
                .where(PostFile.post.in_(ids[start:start + CHUNK]))
                .order_by(PostFile.post, PostFile.position))
        for row in rows:
            extra[row.post_id].append(row.file)
    for post in posts:
        post.__dict__["_extra_files"] = extra.get(post.id, [])
    return posts


def backlinks_of(post_ids: list[int]) -> dict[int, list[tuple[int, int]]]:
    """For each target post id: the (number, thread number) of the posts quoting it."""
    links: dict[int, list[tuple[int, int]]] = defaultdict(list)
    if not post_ids:
        return links
    query = (
        Backlink.select(Backlink.target, Post.no, Post.thread_no)
        .join(Post, on=(Backlink.source == Post.id))
        .where(Backlink.target.in_(post_ids))
        .order_by(Post.no)
        .tuples()
    )
    for target, no, thread_no in query:
        links[target].append((no, thread_no))
    return links


def _ordered_threads(board: Board, now: int):
    threads = Thread.select().where(Thread.board == board.slug)
    if board.events:
        return threads.order_by(*listing.display_order(now))
    return threads.order_by(Thread.sticky.desc(), Thread.bumped.desc(), Thread.no.desc())


def thread_count(board: Board) -> int:
    return Thread.select().where(Thread.board == board.slug).count()


def page_count(board: Board, threads: int | None = None) -> int:
    """Index pages of `board` (at least one); `threads` when already counted."""
    threads = thread_count(board) if threads is None else threads
    return max(1, min(board.pages, -(-threads // board.threads_per_page)))


def latest_replies(thread_ids: list[int], count: int) -> dict[int, list[Post]]:
    """The last `count` replies of each thread, oldest first, in one query."""
    if not thread_ids:
        return {}
    rank = fn.ROW_NUMBER().over(partition_by=[Post.thread], order_by=[Post.no.desc()])
    ranked = (Post.select(Post.id, rank.alias("rank"))
              .where(Post.thread.in_(thread_ids), Post.no != Post.thread_no))
    latest = (posts_with_files().join_from(Post, ranked, on=(Post.id == ranked.c.id))
              .where(ranked.c.rank <= count).order_by(Post.no))
    replies: dict[int, list[Post]] = defaultdict(list)
    for post in latest:
        replies[post.thread_id].append(post)
    return replies


def index_page(board: Board, page: int) -> list[ThreadView]:
    """Threads of one index page (0-based): each opening post with its last few replies.

    Three queries whatever the page holds: threads, their opening posts, their last replies.
    """
    now = clock.now()
    threads = list(_ordered_threads(board, now).limit(board.threads_per_page)
                   .offset(page * board.threads_per_page))
    ops = {p.thread_id: p for p in posts_with_files().where(
        Post.board == board.slug, Post.no.in_([t.no for t in threads]))}
    latest = latest_replies([t.id for t in threads], board.preview_replies)
    views = []
    for thread in threads:
        op = ops.get(thread.id)
        if op is None:  # pruned or deleted since the thread list was read
            continue
        tail = latest.get(thread.id, [])[-1 if thread.sticky else -board.preview_replies:]
        tail_images = sum(1 for p in tail if p.file_id)
        views.append(ThreadView(
            thread, [op, *tail],
            omitted_posts=thread.replies - len(tail),
            omitted_images=thread.images - tail_images - (1 if op.file_id else 0),
            event_state=_event_state(thread, now),
        ))
    attach_files([p for v in views for p in v.posts])
    ids = [p.id for v in views for p in v.posts]
    links = backlinks_of(ids)
    for view in views:
        view.backlinks = links
    return views


def catalog(board: Board) -> list[ThreadView]:
    """Every thread of the board, opening post only, in bump order (or event order)."""
    now = clock.now()
    threads = list(_ordered_threads(board, now).limit(board.capacity))
    ops = {
        p.thread_id: p
        for p in posts_with_files().where(Post.board == board.slug,
                                          Post.no.in_([t.no for t in threads]))
    }
    attach_files(list(ops.values()))
    return [ThreadView(t, [ops[t.id]], event_state=_event_state(t, now))
            for t in threads if t.id in ops]


def thread_view(board: Board, no: int) -> ThreadView | None:
    thread = Thread.get_or_none(Thread.board == board.slug, Thread.no == no)
    if thread is None:
        return None
    posts = attach_files(list(posts_with_files().where(Post.thread == thread.id)
                              .order_by(Post.no)))
    return ThreadView(
        thread, posts,
        backlinks=backlinks_of([p.id for p in posts]),
        id_counts=Counter(p.poster_id for p in posts if p.poster_id),
        event_state=_event_state(thread, clock.now()),
    )


def existing_thread_view(board: Board, no: int) -> ThreadView:
    """`thread_view`, refusing (404) a thread that is not there."""
    view = thread_view(board, no)
    if view is None:
        raise Refusal(THREAD_GONE, 404)
    return view


def existing_post(board: Board, no: int) -> Post:
    """Post `no` of `board` with its file, refusing (404) one that is not there."""
    post = posts_with_files().where(Post.board == board.slug, Post.no == no).get_or_none()
    if post is None:
        raise Refusal("This post does not exist (it may have been deleted or pruned).", 404)
    return post


def thread_exists(board: str, no: int) -> bool:
    return Thread.select().where(Thread.board == board, Thread.no == no).exists()


def existing_thread(board: Board, no: int) -> Thread:
    thread = Thread.get_or_none(Thread.board == board.slug, Thread.no == no)
    if thread is None:
        raise Refusal(THREAD_GONE, 404)
    return thread


def with_files(post_ids: list[int]) -> list[Post]:
    """Posts by id, with their files and threads joined (for the janitor dashboard)."""
    if not post_ids:
        return []
    return attach_files(list(Post.select(Post, File, Thread).join(File, JOIN.LEFT_OUTER)
                             .switch(Post).join(Thread).where(Post.id.in_(post_ids))))


def open_reports(boards: frozenset[str] | None) -> list[Report]:
    """The newest unhandled reports with their posts, on `boards` (None: every board)."""
    query = (Report.select(Report, Post).join(Post)
             .where(Report.handled == False)  # noqa: E712
             .order_by(Report.created.desc()).limit(DASHBOARD_LIMIT))
    if boards is not None:
        query = query.where(Report.board.in_(sorted(boards)))
    return list(query)


def find_post(board: Board, no: int) -> Post | None:
    """Post `no` of `board` with its thread loaded in the same query (one snapshot)."""
    return (Post.select(Post, Thread).join(Thread)
            .where(Post.board == board.slug, Post.no == no).get_or_none())


NAV_AROUND = 4  # pages linked on either side of the current one


def shown_pages(page: int, count: int) -> list[int | None]:
    """The page numbers an index links: the first, the last and those near `page`, with
    None for a gap. A board of a hundred pages does not send a hundred links a page."""
    near = range(max(1, page - NAV_AROUND), min(count, page + NAV_AROUND) + 1)
    shown: list[int | None] = []
    for n in sorted({1, count, *near}):
        if shown and shown[-1] is not None and n > shown[-1] + 1:
            shown.append(None)
        shown.append(n)
    return shown
