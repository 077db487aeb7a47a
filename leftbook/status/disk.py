"""Whether a directory lives on an encrypted disk, when Linux lets us tell: the mount it is on
(/proc/self/mountinfo), then its block device and the devices under it (/sys/dev/block), one
of which is a dm-crypt (LUKS) mapping on an encrypted disk."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

MEMORY_FILESYSTEMS = {"tmpfs", "ramfs"}
ENCRYPTED = "encrypted"
UNENCRYPTED = "unencrypted"
MEMORY = "memory"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Mount:
    point: str
    device: str  # "major:minor"
    fstype: str
    source: str


def _unescape(field: str) -> str:
    """mountinfo writes spaces, tabs, newlines and backslashes in paths as octal escapes."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def mount_of(path: Path, mountinfo: str) -> Mount | None:
    """The mount `path` is on (the longest mount point that contains it)."""
    best: Mount | None = None
    target = str(path)
    for line in mountinfo.splitlines():
        before, _, after = line.partition(" - ")
        fields, tail = before.split(), after.split()
        if len(fields) < 5 or len(tail) < 2:
            continue
        point = _unescape(fields[4])
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and (best is None or len(point) >= len(best.point)):
            best = Mount(point, fields[2], tail[0], _unescape(tail[1]))
    return best


def _crypt_below(device_dir: Path, depth: int = 0) -> bool | None:
    """Whether a dm-crypt device is this block device or under it; None: not a block device."""
    if not device_dir.is_dir() or depth > 8:
        return None
    uuid = device_dir / "dm" / "uuid"
    if uuid.is_file() and uuid.read_text().startswith("CRYPT-"):
        return True
    slaves = device_dir / "slaves"
    below = sorted(slaves.iterdir()) if slaves.is_dir() else []
    if not below and (device_dir / "partition").is_file():  # a partition: look at its disk
        return _crypt_below(device_dir.resolve().parent, depth + 1) is True
    return any(_crypt_below(slave.resolve(), depth + 1) for slave in below)


def _device_number(mount: Mount) -> str | None:
    """"major:minor" of the mount's block device; filesystems such as btrfs report an
    anonymous device number, so follow their source device instead."""
    if not mount.device.startswith("0:"):
        return mount.device
    if mount.source.startswith("/dev/"):
        try:
            rdev = os.stat(mount.source).st_rdev
        except OSError:
            return None
        return f"{os.major(rdev)}:{os.minor(rdev)}" if rdev else None
    return None


def encryption_of(path: Path, *, proc: Path = Path("/proc"),
                  sys: Path = Path("/sys")) -> tuple[str, str]:
    """(ENCRYPTED, UNENCRYPTED, MEMORY or UNKNOWN; what it is on) for `path`."""
    try:
        mount = mount_of(path.resolve(), (proc / "self" / "mountinfo").read_text())
    except OSError:
        return UNKNOWN, "no /proc/self/mountinfo"
    if mount is None:
        return UNKNOWN, "no mount found"
    if mount.fstype in MEMORY_FILESYSTEMS:
        return MEMORY, f"{mount.fstype} at {mount.point}"
    number = _device_number(mount)
    found = _crypt_below(sys / "dev" / "block" / number) if number else None
    where = f"{mount.fstype} on {mount.source} at {mount.point}"
    if found is None:
        return UNKNOWN, where
    return (ENCRYPTED if found else UNENCRYPTED), where
