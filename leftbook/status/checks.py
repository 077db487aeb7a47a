"""Warnings about the data dir an operator should act on: secrets other users can read, files
the site's user cannot read, a disk nearly full, a disk that is not encrypted."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path
from typing import Any

from leftbook.status.disk import UNENCRYPTED, encryption_of

LOW_DISK_SHARE = 0.10
LOW_DISK_BYTES = 1024**3


def private_files(data_dir: Path, secrets: list[str]) -> list[str]:
    """Warnings for the data dir or a secret (`secrets`: glob patterns inside the data dir)
    that other users may read, and for what the data dir holds at its top that belongs to
    another user than the data dir (the site's user then cannot use it)."""
    try:
        owner = data_dir.stat().st_uid
        top = sorted(data_dir.iterdir())
    except OSError as exc:
        return [f"cannot read the data dir {data_dir}: {exc.strerror}"]
    private = [data_dir, *sorted({p for pattern in secrets for p in data_dir.glob(pattern)})]
    warnings = []
    for path in private:
        try:
            mode = stat.S_IMODE(path.lstat().st_mode)
        except OSError:
            continue
        if mode & 0o077:
            fix = "chmod 700" if path.is_dir() else "chmod 600"
            warnings.append(f"{path} can be read by other users (mode {mode:o}): "
                            f"`{fix} {path}`.")
    for path in dict.fromkeys([*top, *private[1:]]):
        try:
            uid = path.lstat().st_uid
        except OSError:
            continue
        if uid != owner:
            warnings.append(f"{path} belongs to user id {uid}, the data dir to user id "
                            f"{owner}: the site's user may not be able to use it "
                            f"(`chown -R <site user>: {data_dir}`).")
    return warnings


def disk_space(path: Path) -> tuple[dict[str, int], list[str]]:
    usage = shutil.disk_usage(path)
    facts = {"total": usage.total, "free": usage.free}
    if usage.free < LOW_DISK_BYTES or usage.free < usage.total * LOW_DISK_SHARE:
        share = usage.free / usage.total if usage.total else 0
        return facts, [f"the disk holding {path} is nearly full: {size_text(usage.free)} free "
                       f"({share:.0%}). A full disk stops posting and pruning."]
    return facts, []


def encryption(path: Path) -> tuple[dict[str, Any], list[str]]:
    """Whether `path` is on an encrypted disk ("unknown" when Linux does not let us tell)."""
    state, where = encryption_of(path)
    if state != UNENCRYPTED:
        return {"state": state, "on": where}, []
    return {"state": state, "on": where}, [
        f"{path} is on a disk that is not encrypted ({where}): what pruning deletes can stay "
        "readable on the disk itself; use full-disk encryption (LUKS)."]


def size_text(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1024:
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} TB"
