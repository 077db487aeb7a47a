"""The two full-text engines behind one pair of calls: the newest matching posts with their
relevance, and highlighted excerpts of a few of them.

Queries are built from a parsed `Query` only: every word reaches the database as a bound
parameter (PostgreSQL) or inside a double-quoted FTS5 string that holds letters, digits
and spaces alone (SQLite), so no reader's text is ever read as query syntax.
"""

from dataclasses import dataclass

from leftbook.database import database, is_sqlite
from leftbook.database.fulltext import FTS_TABLE, PG_COLUMN, PG_CONFIG
from leftbook.search.query import Phrase, Query

OPEN_MARK, CLOSE_MARK = "\x02", "\x03"  # clean_text() keeps control characters out of posts
ELLIPSIS = "\u2026"
SNIPPET_TOKENS = 32  # SQLite: words in an excerpt
BM25_WEIGHTS = "2.0, 1.0, 0.0"  # SQLite: subject, body, board (PostgreSQL: weights A and B)
PG_HEADLINE = (f'StartSel="{OPEN_MARK}", StopSel="{CLOSE_MARK}", MaxWords=35, MinWords=15, '
               f'MaxFragments=2, FragmentDelimiter=" {ELLIPSIS} "')
PG_WHOLE = f'StartSel="{OPEN_MARK}", StopSel="{CLOSE_MARK}", HighlightAll=true'
PG_WHOLE_BODY = 240  # PostgreSQL: a body this short is shown whole, as FTS5's snippet does


@dataclass(frozen=True)
class Candidate:
    post_id: int
    relevance: float  # higher is better; comparable within one search only
    time: int


def _placeholders(count: int) -> str:
    mark = "?" if is_sqlite() else "%s"
    return ", ".join([mark] * count)


def fts5_match(query: Query, board: str | None = None) -> str:
    """The FTS5 query: every phrase quoted (its words are letters and digits only), matched
    in the subject and body; `board` (a configured slug) as a term of the board column."""
    def quoted(phrase: Phrase) -> str:
        return '"' + " ".join(phrase) + '"'

    find = " AND ".join(map(quoted, query.find))
    if query.leave_out:
        find = f"({find}) NOT ({' OR '.join(map(quoted, query.leave_out))})"
    match = f"{{subject body}} : ({find})"
    return f'({match}) AND board : "{board}"' if board else match


def _pg_tsquery(query: Query) -> tuple[str, str, list[str]]:
    """SQL for (the phrases to find, the whole query) as tsquery values, and its parameters."""
    phrase = f"phraseto_tsquery('{PG_CONFIG}', %s)"
    find = " && ".join([f"({phrase})"] * len(query.find))
    whole = find
    if query.leave_out:
        whole = f"({find}) && !!({' || '.join([f'({phrase})'] * len(query.leave_out))})"
    words = [" ".join(p) for p in query.find]
    return find, whole, [*words, *words, *(" ".join(p) for p in query.leave_out)]


def candidates(query: Query, boards: list[str], limit: int) -> list[Candidate]:
    """The `limit` newest posts on `boards` (configured slugs) that match, with their
    relevance."""
    if is_sqlite():
        sql = (f"SELECT {FTS_TABLE}.rowid, -bm25({FTS_TABLE}, {BM25_WEIGHTS}), post.time "
               f"FROM {FTS_TABLE} JOIN post ON post.id = {FTS_TABLE}.rowid "
               f"WHERE {FTS_TABLE} MATCH ? AND post.board IN ({_placeholders(len(boards))}) "
               f"ORDER BY {FTS_TABLE}.rowid DESC LIMIT ?")
        one_board = boards[0] if len(boards) == 1 else None
        params: list = [fts5_match(query, one_board), *boards, limit]
    else:
        find, whole, words = _pg_tsquery(query)
        # one board: newest first along its (board, no) index, not the whole site's ids
        newest = "no" if len(boards) == 1 else "id"
        sql = (f"SELECT post.id, ts_rank(post.{PG_COLUMN}, s.q), post.time "
               f"FROM post, (SELECT {find} AS f, {whole} AS q) AS s "
               f"WHERE numnode(s.f) > 0 AND post.{PG_COLUMN} @@ s.q "
               f"AND post.board IN ({_placeholders(len(boards))}) "
               f"ORDER BY post.{newest} DESC LIMIT %s")
        params = [*words, *boards, limit]
    rows = database.execute_sql(sql, params).fetchall()
    return [Candidate(int(post_id), float(rank), int(time)) for post_id, rank, time in rows]


def excerpts(query: Query, post_ids: list[int]) -> dict[int, tuple[str, str]]:
    """(subject, excerpt of the body) of each post, matches between OPEN_MARK and CLOSE_MARK."""
    if not post_ids:
        return {}
    marks = f"'{OPEN_MARK}', '{CLOSE_MARK}'"
    if is_sqlite():
        sql = (f"SELECT rowid, highlight({FTS_TABLE}, 0, {marks}), "
               f"snippet({FTS_TABLE}, 1, {marks}, '{ELLIPSIS}', {SNIPPET_TOKENS}) "
               f"FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ? "
               f"AND rowid IN ({_placeholders(len(post_ids))})")
        params: list = [fts5_match(query), *post_ids]
    else:
        _find, whole, words = _pg_tsquery(query)
        def headline(text: str) -> str:  # the options are the next parameter
            return f"ts_headline('{PG_CONFIG}', {text}, s.q, %s)"

        sql = (f"SELECT post.id, {headline('coalesce(post.subject, %s)')}, "
               f"CASE WHEN length(post.body) <= {PG_WHOLE_BODY} THEN {headline('post.body')} "
               f"ELSE {headline('post.body')} END FROM post, (SELECT {whole} AS q) AS s "
               f"WHERE post.id IN ({_placeholders(len(post_ids))})")
        params = ["", PG_WHOLE, PG_WHOLE, PG_HEADLINE, *words[len(query.find):], *post_ids]
    rows = database.execute_sql(sql, params).fetchall()
    return {int(post_id): (subject or "", body or "") for post_id, subject, body in rows}
