"""What prune passes did, for `leftbook status`: numbers and times only, never content.

Two `Setting` rows, shared by every instance like the rest of the database:
"prune:running" (written when a pass starts, removed when it ends) and "prune:last" (the start,
duration and counts of the last pass that finished). A "prune:running" row left behind names
a pass that failed or whose process was killed; one whose lock is still held after a long
time names a pass that hangs. Neither row ever expires, so the prune pass keeps them.
"""

import json
from dataclasses import dataclass

from leftbook.database import write_transaction
from leftbook.database.models import Setting

LAST_KEY = "prune:last"
RUNNING_KEY = "prune:running"
COUNT_KEYS = (
    "threads", "posts", "files", "orphan_files", "password_hashes", "reports",
    "audit_entries", "flood_events", "used_challenges", "settings",
)
"""What a pass counts, in the order "prune:last" stores them (Setting values are short)."""


@dataclass(frozen=True)
class PassRecord:
    """One finished pass: when it started (Unix seconds), how long it took, what went."""

    started: int
    seconds: float
    removed: dict[str, int]


def _put(key: str, value: str) -> None:
    Setting.insert(key=key, value=value, expires=None).on_conflict(
        conflict_target=[Setting.key],
        update={Setting.value: value, Setting.expires: None}).execute()


def mark_running(started: int) -> None:
    """A pass started at `started` (call while holding the prune lock)."""
    with write_transaction():
        _put(RUNNING_KEY, str(started))


def clear_running() -> None:
    """The pass ended without results worth keeping (it was asked to stop)."""
    with write_transaction():
        Setting.delete().where(Setting.key == RUNNING_KEY).execute()


def record_pass(started: int, seconds: float, counts: dict[str, int]) -> None:
    """A pass finished: keep its counts as the last pass and clear the running mark."""
    value = json.dumps({"at": started, "s": round(seconds, 1),
                        "n": [int(counts.get(key, 0)) for key in COUNT_KEYS]},
                       separators=(",", ":"))
    with write_transaction():
        _put(LAST_KEY, value)
        Setting.delete().where(Setting.key == RUNNING_KEY).execute()


def last_pass() -> PassRecord | None:
    """The last finished pass, or None when none was recorded (or the row is unreadable)."""
    row = Setting.get_or_none(Setting.key == LAST_KEY)
    if row is None:
        return None
    try:
        data = json.loads(row.value)
        return PassRecord(int(data["at"]), float(data["s"]),
                          dict(zip(COUNT_KEYS, (int(n) for n in data["n"]), strict=False)))
    except (ValueError, KeyError, TypeError):
        return None


def running_since() -> int | None:
    """When the pass that has not finished (yet) started, or None."""
    row = Setting.get_or_none(Setting.key == RUNNING_KEY)
    try:
        return int(row.value) if row is not None else None
    except ValueError:
        return None
