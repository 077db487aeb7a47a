"""The rows a reply writes, through SQL made once (`run_compiled`): the ORM's SQL generator
cost more than the rest of a text post together. New threads, files and everything else
that is rare keep the ORM."""

from dataclasses import dataclass
from typing import Any

from leftbook.database import run_compiled
from leftbook.database.models import Backlink, BoardState, Post, Thread

POST_FIELDS = ("board", "no", "thread", "thread_no", "time", "name", "trip", "poster_id",
               "subject", "body", "html", "sage", "password_hash", "file", "filename",
               "spoiler", "file_deleted", "event_start", "event_end", "event_place",
               "event_link")


@dataclass(frozen=True)
class OpenThread:
    """What a reply needs of its thread."""

    id: int
    no: int
    salt: bytes
    replies: int
    bumped: int
    locked: bool


def thread_of_post(board: str, no: int) -> int | None:
    """The thread number of post `no` of `board`, or None."""
    row = run_compiled("thread_of_post", lambda b, n: Post.select(Post.thread_no).where(
        Post.board == b, Post.no == n), board, no).fetchone()
    return row[0] if row else None


def allocate_number(board: str) -> int:
    """Next post number of `board`; the UPDATE takes the row's write lock, so no two get one."""
    def bump(step: int, also: int, b: str) -> Any:
        return BoardState.update(last_no=BoardState.last_no + step,
                                 version=BoardState.version + also).where(BoardState.slug == b)

    if run_compiled("allocate_number", bump, 1, 1, board).rowcount == 0:
        BoardState.insert(slug=board).on_conflict_ignore().execute()
        run_compiled("allocate_number", bump, 1, 1, board)
    return run_compiled("last_number", lambda b: BoardState.select(BoardState.last_no).where(
        BoardState.slug == b), board).fetchone()[0]


def open_thread(board: str, no: int) -> OpenThread | None:
    row = run_compiled("open_thread", lambda b, n: Thread.select(
        Thread.id, Thread.no, Thread.salt, Thread.replies, Thread.bumped, Thread.locked,
    ).where(Thread.board == b, Thread.no == n), board, no).fetchone()
    if row is None:
        return None
    return OpenThread(row[0], row[1], bytes(row[2]), row[3], row[4], bool(row[5]))


def insert_post(**values: Any) -> int:
    """Insert a Post row from `values` (every name of POST_FIELDS; `file_deleted` and the
    event fields may be left out); returns its id."""
    defaults = {"file_deleted": False, "event_start": None, "event_end": None,
                "event_place": None, "event_link": None}
    unknown = set(values) - set(POST_FIELDS)
    if unknown:
        raise TypeError(f"no such post fields: {sorted(unknown)}")
    params = [values[name] if name in values else defaults[name] for name in POST_FIELDS]

    def build(*given: Any) -> Any:
        return Post.insert(dict(zip([getattr(Post, n) for n in POST_FIELDS], given,
                                    strict=True)))

    cursor = run_compiled("insert_post", build, *params)
    row = cursor.fetchone() if cursor.description else None
    return row[0] if row else cursor.lastrowid


def add_backlinks(board: str, source: int, quotes: list[int]) -> None:
    """Link post `source` to the posts of `board` it quotes (quotes of missing posts drop)."""
    if not quotes:
        return
    targets = [t for (t,) in run_compiled(
        f"quoted:{len(quotes)}", lambda b, *n: Post.select(Post.id).where(
            Post.board == b, Post.no.in_(list(n))), board, *quotes).fetchall()]
    if targets:
        Backlink.insert_many([(source, t) for t in targets],
                             fields=[Backlink.source, Backlink.target]).execute()


def count_reply(thread_id: int, images: int, now: int, bumped: int) -> None:
    # parameters in the order of the SQL, which follows the model's fields
    run_compiled("count_reply", lambda b, m, r, i, t: Thread.update(
        replies=Thread.replies + r, images=Thread.images + i, last_modified=m, bumped=b,
    ).where(Thread.id == t), bumped, now, 1, images, thread_id)
