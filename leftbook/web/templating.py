"""Template filters: formatting only, no logic beyond it."""

from datetime import UTC, datetime

from flask import Flask

from leftbook.posting.identity import id_colour_class
from leftbook.posting.markup import plain_text


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
        id_class=id_colour_class, shorttime=shorttime, filesize=filesize,
        shown_text=plain_text,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
