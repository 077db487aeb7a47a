"""Files no post refers to (their rows), and files on disk with no row (orphans).

A file is unlinked only while holding the database's write lock, after checking again that
no row names it: a post committing the same picture at that moment either comes first
(its row is seen and the file stays) or after (it finds the file gone and stores it again).
"""

import os
import time
from collections.abc import Iterator
from pathlib import Path

from peewee import fn

from leftbook.db import write_transaction
from leftbook.media_store import NAME_PATTERNS, TEMP_PREFIX
from leftbook.models import File, Post
from leftbook.removal import unlink_files
from leftbook.retention_threads import CHUNK

TIM_LENGTH = 64


def _unreferenced():
    in_use = Post.select(Post.id).where(Post.file == File.tim)
    return File.select(File.tim, File.ext, File.thumb_ext).where(~fn.EXISTS(in_use))


def count_unreferenced() -> int:
    return _unreferenced().count()


def release_unreferenced_batch(limit: int) -> list[tuple[str, str, str]]:
    """Delete up to `limit` File rows no post refers to (call in a transaction)."""
    rows = list(_unreferenced().limit(limit).tuples())
    if rows:
        File.delete().where(File.tim.in_([tim for tim, _, _ in rows])).execute()
    return rows


def unlink_released(files_dir: Path, files: list[tuple[str, str, str]]) -> None:
    """Unlink released files (after their rows' deletion committed), unless a post took one back."""
    for chunk in (files[i:i + CHUNK] for i in range(0, len(files), CHUNK)):
        with write_transaction():
            revived = {
                tim for (tim,) in
                File.select(File.tim).where(File.tim.in_([f[0] for f in chunk])).tuples()
            }
            unlink_files(files_dir, [f for f in chunk if f[0] not in revived])


def _old_entries(directory: Path, deadline: float) -> Iterator[os.DirEntry]:
    if not directory.is_dir():
        return
    with os.scandir(directory) as entries:
        for entry in entries:
            try:
                if entry.is_file(follow_symlinks=False) and \
                        entry.stat(follow_symlinks=False).st_mtime < deadline:
                    yield entry
            except FileNotFoundError:
                continue


def _candidate_chunks(files_dir: Path, grace: float) -> Iterator[list[os.DirEntry]]:
    """Old stored files and crash leftovers, in chunks; files younger than `grace` are skipped
    so that an upload whose post is being written right now is never raced."""
    deadline = time.time() - grace
    for kind, pattern in NAME_PATTERNS.items():
        chunk: list[os.DirEntry] = []
        for entry in _old_entries(files_dir / kind, deadline):
            if pattern.fullmatch(entry.name) or entry.name.startswith(TEMP_PREFIX):
                chunk.append(entry)
            if len(chunk) >= CHUNK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


def _orphans(chunk: list[os.DirEntry]) -> list[os.DirEntry]:
    tims = {e.name[:TIM_LENGTH] for e in chunk if not e.name.startswith(TEMP_PREFIX)}
    known = {tim for (tim,) in File.select(File.tim).where(File.tim.in_(list(tims))).tuples()}
    return [
        e for e in chunk
        if e.name.startswith(TEMP_PREFIX) or e.name[:TIM_LENGTH] not in known
    ]


def count_orphans(files_dir: Path, grace: float) -> int:
    return sum(len(_orphans(chunk)) for chunk in _candidate_chunks(files_dir, grace))


def remove_orphans(files_dir: Path, grace: float, between_batches) -> int:
    """Unlink old files on disk that no File row names; returns how many went."""
    removed = 0
    for chunk in _candidate_chunks(files_dir, grace):
        between_batches()
        with write_transaction():
            for entry in _orphans(chunk):
                try:
                    os.unlink(entry.path)
                except FileNotFoundError:
                    continue
                removed += 1
    return removed
