"""Files no post refers to (their rows), and files on disk with no row (orphans).

A file is unlinked only while holding the database's write lock, after checking again that
no row names it: a post committing the same picture at that moment either comes first
(its row is seen and the file stays) or after (it finds the file gone and stores it again).
"""

import os
from collections.abc import Callable, Iterator

from peewee import fn

from leftbook.database import write_transaction
from leftbook.database.models import File, Post, PostFile
from leftbook.media.store import TIM_LENGTH, FileStore, is_partial
from leftbook.retention.threads import chunks


def _unreferenced():
    first = Post.select(Post.id).where(Post.file == File.tim)
    further = PostFile.select(PostFile.id).where(PostFile.file == File.tim)
    return File.select(File.tim, File.ext, File.thumb_ext).where(
        ~fn.EXISTS(first), ~fn.EXISTS(further))


def count_unreferenced() -> int:
    return _unreferenced().count()


def release_unreferenced_batch(limit: int) -> list[tuple[str, str, str]]:
    """Delete up to `limit` File rows no post refers to (call in a transaction)."""
    rows = list(_unreferenced().limit(limit).tuples())
    if rows:
        File.delete().where(File.tim.in_([tim for tim, _, _ in rows])).execute()
    return rows


def unlink_released(store: FileStore, files: list[tuple[str, str, str]]) -> None:
    """Unlink released files (after their rows' deletion committed), unless a post took one back."""
    for chunk in chunks(files):
        with write_transaction():
            revived = {
                tim for (tim,) in
                File.select(File.tim).where(File.tim.in_([f[0] for f in chunk])).tuples()
            }
            store.remove_all(f for f in chunk if f[0] not in revived)


def _candidate_chunks(store: FileStore, grace: float) -> Iterator[list[os.DirEntry]]:
    """Old stored files and crash leftovers, in chunks; files younger than `grace` are skipped
    so that an upload whose post is being written right now is never raced."""
    for _kind, entries in store.old_entries(grace):
        yield from chunks(entries)


def _orphans(chunk: list[os.DirEntry]) -> list[os.DirEntry]:
    tims = {e.name[:TIM_LENGTH] for e in chunk if not is_partial(e)}
    known = {tim for (tim,) in File.select(File.tim).where(File.tim.in_(list(tims))).tuples()}
    return [e for e in chunk if is_partial(e) or e.name[:TIM_LENGTH] not in known]


def count_orphans(store: FileStore, grace: float) -> int:
    return sum(len(_orphans(chunk)) for chunk in _candidate_chunks(store, grace))


def remove_orphans(store: FileStore, grace: float, between_batches: Callable[[], None]) -> int:
    """Unlink old files on disk that no File row names; returns how many went."""
    removed = 0
    for chunk in _candidate_chunks(store, grace):
        between_batches()
        with write_transaction():
            for entry in _orphans(chunk):
                try:
                    os.unlink(entry.path)
                except FileNotFoundError:
                    continue
                removed += 1
    return removed
