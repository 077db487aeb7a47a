"""Content-addressed file store: atomic writes, deduplication, strict names."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from pathlib import Path

from leftbook.media_types import ProcessedImage

SRC_NAME = re.compile(r"[0-9a-f]{64}\.(?:jpg|png|gif|webp)")
THUMB_NAME = re.compile(r"[0-9a-f]{64}\.(?:jpg|png)")
NAME_PATTERNS = {"src": SRC_NAME, "thumb": THUMB_NAME}
TEMP_PREFIX = ".partial-"


def store(image: ProcessedImage, files_dir: Path) -> bool:
    """Write the file and its thumbnail unless already there; True when something was written."""
    wrote = False
    for kind, name, data in (
        ("thumb", image.tim + image.thumb_ext, image.thumb),
        ("src", image.tim + image.ext, image.data),
    ):
        path = _checked_path(files_dir, kind, name)
        if not path.is_file():
            _write_atomically(path, data)
            wrote = True
    return wrote


def remove(files_dir: Path, tim: str, ext: str, thumb_ext: str) -> None:
    """Unlink a file and its thumbnail; a file already gone is not an error."""
    for kind, name in (("src", tim + ext), ("thumb", tim + thumb_ext)):
        _checked_path(files_dir, kind, name).unlink(missing_ok=True)


def stored_path(files_dir: Path, kind: str, name: str) -> Path | None:
    """The stored file for a requested name, or None when the name is not ours or is absent."""
    pattern = NAME_PATTERNS.get(kind)
    if pattern is None or not pattern.fullmatch(name):
        return None
    path = files_dir / kind / name
    return path if path.is_file() else None


def sweep_partial_files(files_dir: Path, older_than: float = 3600.0) -> int:
    """Delete temporary files a crash left behind (never served: they fail the name check)."""
    removed = 0
    deadline = time.time() - older_than
    for kind in NAME_PATTERNS:
        directory = files_dir / kind
        if not directory.is_dir():
            continue
        for path in directory.glob(TEMP_PREFIX + "*"):
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < deadline:
                    path.unlink()
                    removed += 1
    return removed


def _checked_path(files_dir: Path, kind: str, name: str) -> Path:
    if not NAME_PATTERNS[kind].fullmatch(name):
        raise ValueError(f"not a stored {kind} name: {name!r}")
    return files_dir / kind / name


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
