"""A running `leftbook serve` leaves a note in `<data dir>/run/` (0600) saying which process
serves which port and whether it publishes the onion service, with client authorisation or
not; it removes the note when it stops. `leftbook status` reads the notes. They hold nothing
about visitors."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from onion.keys import write_private_file

RUN_DIR = "run"


@dataclass(frozen=True)
class ServeRecord:
    host: str
    pid: int
    port: int
    started: int
    onion: bool
    client_auth: bool
    onionbalance: bool = False


def _note_path(data_dir: Path, record: ServeRecord) -> Path:
    name = f"serve-{record.port}.json" if record.port else f"serve-pid{record.pid}.json"
    return data_dir / RUN_DIR / name


@contextlib.contextmanager
def serving_noted(data_dir: Path, *, port: int, onion: bool, client_auth: bool,
                  onionbalance: bool) -> Iterator[ServeRecord]:
    """Keep a note of this serving process for the duration of the block."""
    record = ServeRecord(socket.gethostname(), os.getpid(), port, int(time.time()), onion,
                         client_auth, onionbalance)
    path = _note_path(data_dir, record)
    try:
        write_private_file(path, json.dumps(asdict(record)) + "\n")
    except OSError:  # a note is a convenience; serving must not depend on it
        path = None
    try:
        yield record
    finally:
        if path is not None:
            with contextlib.suppress(OSError):
                if _read(path) == record:  # another serve on this port may have replaced it
                    path.unlink()


def _read(path: Path) -> ServeRecord | None:
    try:
        return ServeRecord(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def is_running(record: ServeRecord) -> bool | None:
    """Whether the noted process still runs; None when it is on another machine."""
    if record.host != socket.gethostname():
        return None
    try:
        os.kill(record.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:  # a process id taken over by another program after a crash
        return b"leftbook" in Path(f"/proc/{record.pid}/cmdline").read_bytes()
    except OSError:
        return True


def read_notes(data_dir: Path) -> list[tuple[ServeRecord, bool | None]]:
    """Every note in the data dir with whether its process runs, by port."""
    found = []
    for path in sorted((data_dir / RUN_DIR).glob("serve-*.json")):
        record = _read(path)
        if record is not None:
            found.append((record, is_running(record)))
    return sorted(found, key=lambda item: item[0].port)
