"""The database and the content: kind, size and schema version; threads, posts and files per
board with their size; the file store on disk. Counts only."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from peewee import fn

from leftbook.boards import Board
from leftbook.database import database, is_sqlite
from leftbook.database.models import File, Post, Thread
from leftbook.database.schema import SCHEMA_VERSION, stored_version


def shown_url(url: str) -> str:
    """The database URL without its password."""
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":(hidden)@", 1)
    return url


def sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def database_size(url: str) -> int | None:
    """Bytes the database takes: SQLite's file with its WAL; PostgreSQL's whole database."""
    if is_sqlite():
        path = sqlite_path(url)
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm"))
                   if p.exists())
    return database.execute_sql("SELECT pg_database_size(current_database())").fetchone()[0]


def database_facts(url: str) -> tuple[dict[str, Any], list[str]]:
    """(kind, where, size and schema version of the connected database, warnings)."""
    facts: dict[str, Any] = {
        "kind": "sqlite" if is_sqlite() else "postgresql",
        "where": str(sqlite_path(url)) if is_sqlite() else shown_url(url),
        "bytes": database_size(url),
        "schema_version": stored_version(),
        "schema_expected": SCHEMA_VERSION,
    }
    warnings = []
    version = facts["schema_version"]
    if version is None:
        warnings.append("the database holds no Leftbook tables yet: `leftbook serve` makes "
                        "them on first start.")
    elif version < SCHEMA_VERSION:
        warnings.append(f"the database has schema version {version}; this release upgrades it "
                        f"to {SCHEMA_VERSION} when the site starts: back it up first.")
    elif version > SCHEMA_VERSION:
        warnings.append(f"the database has schema version {version}, written by a newer "
                        f"release; this one reads versions up to {SCHEMA_VERSION}.")
    return facts, warnings


def board_counts(boards: dict[str, Board]) -> dict[str, dict[str, Any]]:
    """Threads, posts, files and the files' bytes per board: configured boards first (zero
    when empty), then boards that still have rows but no board file."""
    counts: dict[str, dict[str, Any]] = {
        slug: {"title": board.title, "threads": 0, "posts": 0, "files": 0, "file_bytes": 0}
        for slug, board in boards.items()}

    def row(slug: str) -> dict[str, Any]:
        return counts.setdefault(slug, {"title": None, "threads": 0, "posts": 0, "files": 0,
                                        "file_bytes": 0})

    for slug, threads in Thread.select(Thread.board, fn.COUNT(Thread.id)) \
            .group_by(Thread.board).tuples():
        row(slug)["threads"] = threads
    for slug, posts in Post.select(Post.board, fn.COUNT(Post.id)).group_by(Post.board).tuples():
        row(slug)["posts"] = posts
    pairs = (Post.select(Post.board.alias("board"), Post.file.alias("tim"))
             .where(Post.file.is_null(False)).distinct().alias("pairs"))
    per_board = (File.select(pairs.c.board, fn.COUNT(File.tim), fn.SUM(File.fsize))
                 .from_(pairs).join(File, on=(File.tim == pairs.c.tim))
                 .group_by(pairs.c.board).tuples())
    for slug, files, size in per_board:
        row(slug).update(files=files, file_bytes=int(size or 0))
    return counts


def stored_files() -> dict[str, int]:
    """Files the database knows (each stored once, whatever the number of posts)."""
    count, size = File.select(fn.COUNT(File.tim), fn.SUM(File.fsize)).tuples().get()
    return {"files": count, "bytes": int(size or 0)}


def files_on_disk(root: Path) -> dict[str, int]:
    """Files and bytes under the file store (originals and thumbnails)."""
    files = size = 0
    for kind in ("src", "thumb"):
        try:
            entries = list(os.scandir(root / kind))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_file(follow_symlinks=False):
                    files += 1
                    size += entry.stat(follow_symlinks=False).st_size
            except OSError:
                continue
    return {"files": files, "bytes": size}
