"""Searching live posts: the one domain function behind `/search` and `/search.json`.

Cost is bounded whatever the query: the text is bounded by `query.parse`; the engine is
asked for the CANDIDATES newest matching posts only (both engines walk their index from
the newest post down and stop there), which are ranked here; every query of one search
runs under one time limit. A search that matches more than CANDIDATES posts shows the
best of the newest CANDIDATES and says so.

Ranking: the engine's relevance (SQLite bm25, PostgreSQL ts_rank; a word in the subject
counts more than in the body), raised for recent posts: a post made just now counts up to
twice as much as an old one, an advantage that halves every RECENCY_HALF_LIFE.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape

from leftbook import clock
from leftbook.database import read_snapshot
from leftbook.database.connection import QueryTimeout, time_limit
from leftbook.database.models import Post
from leftbook.refusal import Refusal
from leftbook.search import backends
from leftbook.search.query import Query, parse

CANDIDATES = 1000
PAGE_SIZE = 20
MAX_PAGE = CANDIDATES // PAGE_SIZE
TIME_LIMIT_SECONDS = 2.0
RECENCY_HALF_LIFE = 7 * 86400
RECENCY_BOOST = 1.0
TOO_COSTLY = ("This search took too long and was stopped: add a rarer word, a phrase or a "
              "board to narrow it, or try again in a moment.")


@dataclass(frozen=True)
class Hit:
    """One found post; `subject` and `excerpt` are HTML, matches marked with <mark>."""

    board: str
    thread: int
    no: int
    time: int
    subject: str
    excerpt: str


@dataclass(frozen=True)
class Results:
    query: Query | None  # None: nothing was asked
    board: str | None
    page: int = 1
    hits: list[Hit] = field(default_factory=list)
    matches: int = 0  # at most CANDIDATES
    more: bool = False  # more than CANDIDATES posts match

    @property
    def pages(self) -> int:
        return -(-self.matches // PAGE_SIZE)


SPACES = re.compile(r"\s+")
# markup's **spoiler**, hidden as on the page (also one an excerpt cut before its end)
SPOILER = re.compile(r"\*\*(?=\S)(?:.*?\*\*|.*$)", re.S)


def marked_html(text: str) -> str:
    """Escaped `text` on one line, spoilers hidden, its matches in <mark> (no marks if they
    are unbalanced)."""
    text = escape(SPACES.sub(" ", SPOILER.sub("[spoiler]", text)).strip())
    if text.count(backends.OPEN_MARK) != text.count(backends.CLOSE_MARK):
        return text.replace(backends.OPEN_MARK, "").replace(backends.CLOSE_MARK, "")
    return text.replace(backends.OPEN_MARK, "<mark>").replace(backends.CLOSE_MARK, "</mark>")


def score(candidate: backends.Candidate, now: int) -> float:
    age = max(0, now - candidate.time)
    return candidate.relevance * (1 + RECENCY_BOOST * 0.5 ** (age / RECENCY_HALF_LIFE))


def _hits(query: Query, post_ids: list[int]) -> list[Hit]:
    posts = {p.id: p for p in Post.select(Post.id, Post.board, Post.no, Post.thread_no,
                                          Post.time).where(Post.id.in_(post_ids))}
    texts = backends.excerpts(query, post_ids)
    return [Hit(board=posts[i].board, thread=posts[i].thread_no, no=posts[i].no,
                time=posts[i].time, subject=marked_html(texts[i][0]),
                excerpt=marked_html(texts[i][1]))
            for i in post_ids if i in posts and i in texts]


def search(text: str, board: str | None, page: int, boards: Iterable[str]) -> Results:
    """Live posts matching `text` on `board` (None: every board in `boards`), one page of
    PAGE_SIZE (from 1), best first. Refuses a query it cannot read or bound."""
    query = parse(text)
    known = list(boards)
    if board is not None and board not in known:
        raise Refusal("There is no such board.", 404)
    if not 1 <= page <= MAX_PAGE:
        raise Refusal(f"Search results have pages 1 to {MAX_PAGE}.")
    if query is None:
        return Results(None, board, page)
    now = clock.now()
    try:
        with read_snapshot(), time_limit(TIME_LIMIT_SECONDS):
            found = backends.candidates(query, [board] if board else known, CANDIDATES)
            ranked = sorted(found, key=lambda c: (-score(c, now), -c.post_id))
            shown = [c.post_id for c in ranked[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]]
            hits = _hits(query, shown)
    except QueryTimeout as exc:
        raise Refusal(TOO_COSTLY, 503, retry_after=10) from exc
    return Results(query, board, page, hits, matches=len(found),
                   more=len(found) >= CANDIDATES)
