"""Template filters: formatting only, no logic beyond it."""

from datetime import UTC, datetime

from flask import Flask

from leftbook.events.fields import describe
from leftbook.events.listing import HEADINGS
from leftbook.posting.identity import id_colour_class
from leftbook.posting.markup import plain_text
from leftbook.web import reader


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


def event_when(post) -> str:
    """An event's dates as people read them: `Sat 1 May 2026, 18:30 - 21:00`."""
    return describe(post.event_start, post.event_end)


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        id_class=id_colour_class, isotime=isotime, shorttime=shorttime, filesize=filesize,
        shown_text=plain_text, event_when=event_when,
    )
    app.jinja_env.globals["event_headings"] = HEADINGS
    app.jinja_env.globals["reader_stylesheet"] = reader.stylesheet_url
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
