"""What the site is doing: the last prune pass and whether one runs or hangs; flood control,
captcha and lockdowns."""

from __future__ import annotations

import datetime
from typing import Any

from leftbook.abuse import lockdown
from leftbook.abuse.flood import flood_alarms
from leftbook.boards import Board
from leftbook.database.models import FloodEvent
from leftbook.retention import record
from leftbook.retention.lock import lock_held
from leftbook.settings import Settings

STUCK_SECONDS = 15 * 60
"""A pass still holding the lock this long after it started is reported as stuck."""


def prune_state(settings: Settings, now: int) -> tuple[dict[str, Any], list[str]]:
    """(the last pass, the one running if any, the schedule; warnings)."""
    last = record.last_pass()
    since = record.running_since()
    held = lock_held()
    state: dict[str, Any] = {
        "interval": settings.prune_interval,
        "last": None if last is None else {
            "at": last.started, "seconds": last.seconds, "removed": last.removed},
        "running_since": since if held else None,
        "unfinished_since": since if since is not None and not held else None,
        "lock_held": held,
    }
    warnings = []
    if since is not None and held and now - since > STUCK_SECONDS:
        warnings.append(f"a prune pass has held the prune lock for {(now - since) // 60} min: "
                        "it may be stuck (see the log of the instance running it).")
    elif since is not None and not held:
        warnings.append("the prune pass that started at " + when(since) + " did not finish "
                        "(it failed or its process was killed); the next pass finishes its "
                        "work. See the log.")
    return state, warnings


def abuse_state(settings: Settings, boards: dict[str, Board],
                now: int) -> dict[str, Any]:
    """Flood control, captcha and lockdowns in force (counts and switches only)."""
    posts = FloodEvent.select().where(FloodEvent.kind == "post")
    counted = settings.flood  # flood control counts posts only while it is on
    return {
        "flood_control": settings.flood,
        "posts_last_minute": posts.where(FloodEvent.time > now - 60).count() if counted else None,
        "posts_last_hour": posts.where(FloodEvent.time > now - 3600).count() if counted else None,
        "flood_alarms": flood_alarms(),
        "captcha": settings.captcha,
        "captcha_for_new_threads": [slug for slug, board in boards.items()
                                    if board.captcha == "threads"],
        "lockdowns": lockdown.lockdowns(),
    }


def when(timestamp: int) -> str:
    """A time as operators read it in logs: UTC, to the second."""
    moment = datetime.datetime.fromtimestamp(timestamp, datetime.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
