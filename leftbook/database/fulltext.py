"""The full-text index of posts (subject and body), as each database keeps it by itself.

SQLite: an FTS5 table `post_fts` with the post table as its external content (the index
holds tokens and positions; the text stays in `post` only), kept by triggers on `post`.
Its columns are the subject, the body and the board (a token, so that a search of one
board is one more term for the index to intersect, not a filter on every match).
Every insert, delete (cascades from a thread included) and change of a post reaches the
index in the same transaction, whatever code path made it: posting, pruning, janitors,
import, a bulk fill.

FTS5 (before SQLite 3.42's `secure-delete`) does not erase a deleted post's tokens: it
records a deletion beside them, and both stay in the index's segments until those are
merged. So the delete trigger also marks a purge as due, and the prune pass merges the
whole index into one segment (`purge_step`, in bounded steps) before its WAL checkpoint:
the merge drops deleted entries and `secure_delete` zeroes the freed pages.

PostgreSQL: a generated `tsvector` column `post.search_vector` with a GIN index; a
deleted row takes its entry with it.
"""

from leftbook.database.connection import database, is_sqlite

FTS_TABLE = "post_fts"
TOKENIZER = "porter unicode61 remove_diacritics 2"  # English stemming, accents folded
PG_CONFIG = "english"
PG_COLUMN = "search_vector"
PURGE_KEY = "fulltext-purge"  # a `setting` row while deleted entries may still be stored
PURGE_PAGES = 2000  # index pages (about 4 KB each) one purge step may write

_SQLITE_TABLE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(subject, body, board, "
    f"content='post', content_rowid='id', tokenize='{TOKENIZER}')"
)
_MARK_PURGE = (f"INSERT INTO setting (key, value, expires) VALUES ('{PURGE_KEY}', 'due', NULL) "
               "ON CONFLICT (key) DO NOTHING;")
_FORGET_OLD = (f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, subject, body, board) "
               "VALUES ('delete', old.id, old.subject, old.body, old.board);")
_INDEX_NEW = (f"INSERT INTO {FTS_TABLE} (rowid, subject, body, board) "
              "VALUES (new.id, new.subject, new.body, new.board);")
SQLITE_TRIGGERS = {
    "post_fts_insert": f"AFTER INSERT ON post BEGIN {_INDEX_NEW} END",
    "post_fts_delete": f"AFTER DELETE ON post BEGIN {_FORGET_OLD} {_MARK_PURGE} END",
    "post_fts_update": (f"AFTER UPDATE OF subject, body, board ON post BEGIN {_FORGET_OLD} "
                        f"{_INDEX_NEW} {_MARK_PURGE} END"),
}
_PG_VECTOR = (f"setweight(to_tsvector('{PG_CONFIG}', coalesce(subject, '')), 'A') || "
              f"setweight(to_tsvector('{PG_CONFIG}', body), 'B')")


def _sqlite_triggers() -> set[str]:
    rows = database.execute_sql("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                "AND tbl_name = 'post'").fetchall()
    return {name for (name,) in rows}


def ensure_index() -> None:
    """Create whatever part of the index the database lacks, indexing every stored post.

    Runs inside the schema upgrade's transaction: by the version 4 migration, and at the end
    of every upgrade (a new database; a migration that rebuilt the post table, which drops
    its triggers). Does nothing when the index is complete.
    """
    if is_sqlite():
        tables = set(database.get_tables())
        triggers = _sqlite_triggers()
        if FTS_TABLE in tables and triggers >= set(SQLITE_TRIGGERS):
            return
        database.execute_sql(_SQLITE_TABLE)
        for name, body in SQLITE_TRIGGERS.items():
            database.execute_sql(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")
        rebuild()
        return
    database.execute_sql(f"ALTER TABLE post ADD COLUMN IF NOT EXISTS {PG_COLUMN} tsvector "
                         f"GENERATED ALWAYS AS ({_PG_VECTOR}) STORED")
    database.execute_sql(f"CREATE INDEX IF NOT EXISTS post_{PG_COLUMN} ON post "
                         f"USING GIN ({PG_COLUMN})")


def rebuild() -> None:
    """Index every stored post again from the post table (SQLite; PostgreSQL needs none)."""
    if is_sqlite():
        database.execute_sql(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('rebuild')")


def purge_due() -> bool:
    """Whether deleted posts may still have entries stored in the index (SQLite)."""
    if not is_sqlite():
        return False
    row = database.execute_sql("SELECT 1 FROM setting WHERE key = ?", (PURGE_KEY,)).fetchone()
    return row is not None


def purge_step(pages: int = PURGE_PAGES) -> bool:
    """Merge up to `pages` pages of the index's segments towards one; call in a write
    transaction. Returns True while there is more to merge; the last step clears the mark,
    in the same transaction, so a deletion made meanwhile keeps it set."""
    connection = database.connection()
    before = connection.total_changes
    database.execute_sql(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rank) VALUES ('merge', ?)",
                         (-pages,))
    if connection.total_changes - before >= 2:
        return True
    database.execute_sql("DELETE FROM setting WHERE key = ?", (PURGE_KEY,))
    return False
