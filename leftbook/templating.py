"""Template filters: formatting only, no logic beyond it."""

import hashlib
from datetime import UTC, datetime

from flask import Flask

ID_HUES = 24


def id_hue(poster_id: str) -> int:
    """A colour class (0..23) for a per-thread ID; the CSS defines one readable pair per class."""
    return hashlib.sha256(poster_id.encode()).digest()[0] % ID_HUES


def isotime(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def shorttime(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


def filesize(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KiB"
    return f"{size / 1024 / 1024:.1f} MiB"


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        id_hue=id_hue, isotime=isotime, shorttime=shorttime, filesize=filesize
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
