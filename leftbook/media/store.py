"""The file store: the one owner of the files directory. Content-addressed names, atomic
writes, deduplication, and path containment (no name from outside ever becomes a path
unless it is one of ours)."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from leftbook.media.types import CleanedFile

SRC_NAME = re.compile(r"[0-9a-f]{64}\.(?:jpg|png|gif|webp|pdf|epub|webm|mp4|ogg|mp3)")
THUMB_NAME = re.compile(r"[0-9a-f]{64}\.(?:jpg|png)")
NAME_PATTERNS = {"src": SRC_NAME, "thumb": THUMB_NAME}
TEMP_PREFIX = ".partial-"
TIM_LENGTH = 64


class FileStore:
    """Stored files under `root/src/` and thumbnails under `root/thumb/`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"FileStore({str(self.root)!r})"

    def _path(self, kind: str, name: str) -> Path:
        """The path of a stored name; anything that is not one of our names is refused."""
        pattern = NAME_PATTERNS.get(kind)
        if pattern is None or not pattern.fullmatch(name):
            raise ValueError(f"not a stored {kind} name: {name!r}")
        return self.root / kind / name

    def store(self, image: CleanedFile) -> bool:
        """Write the file and its thumbnail unless already there; True when something was
        written."""
        wrote = False
        for kind, name, data in (
            ("thumb", image.tim + image.thumb_ext, image.thumb),
            ("src", image.tim + image.ext, image.data),
        ):
            path = self._path(kind, name)
            if not path.is_file():
                _write_atomically(path, data)
                wrote = True
        return wrote

    def remove(self, tim: str, ext: str, thumb_ext: str) -> None:
        """Unlink a file and its thumbnail; a file already gone is not an error."""
        for kind, name in (("src", tim + ext), ("thumb", tim + thumb_ext)):
            self._path(kind, name).unlink(missing_ok=True)

    def remove_all(self, files: Iterable[tuple[str, str, str]]) -> None:
        """Unlink (tim, ext, thumb_ext) files, after the deleting transaction committed."""
        for tim, ext, thumb_ext in files:
            self.remove(tim, ext, thumb_ext)

    def find(self, kind: str, name: str) -> Path | None:
        """The stored file for a requested name, or None when the name is not ours or is
        absent."""
        try:
            path = self._path(kind, name)
        except ValueError:
            return None
        return path if path.is_file() else None

    def old_entries(self, grace: float) -> Iterator[tuple[str, list[os.DirEntry]]]:
        """(kind, entries) of stored files and crash leftovers older than `grace` seconds,
        one directory at a time (for the orphan sweep)."""
        deadline = time.time() - grace
        for kind, pattern in NAME_PATTERNS.items():
            yield kind, [
                entry for entry in _old_files(self.root / kind, deadline)
                if pattern.fullmatch(entry.name) or entry.name.startswith(TEMP_PREFIX)
            ]

    def sweep_partial_files(self, older_than: float = 3600.0) -> int:
        """Delete temporary files a crash left behind (never served: they fail the name
        check)."""
        removed = 0
        for _kind, entries in self.old_entries(older_than):
            for entry in entries:
                if entry.name.startswith(TEMP_PREFIX):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(entry.path)
                        removed += 1
        return removed


def is_partial(entry: os.DirEntry) -> bool:
    return entry.name.startswith(TEMP_PREFIX)


def _old_files(directory: Path, deadline: float) -> Iterator[os.DirEntry]:
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


def _write_atomically(path: Path, data: bytes) -> None:
    """Temporary file in the same directory, fsync, rename, fsync the directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
