"""Template filters: formatting only, no logic beyond it."""

from datetime import UTC, datetime
from typing import Any

from flask import Flask
from markupsafe import Markup

from leftbook.boards import Board
from leftbook.events.fields import describe
from leftbook.events.listing import HEADINGS
from leftbook.media import EXTENSION_TYPES
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


# kind -> what the form says it takes, and the types its file input offers
KIND_NAMES = {"image": ("images (JPEG, PNG, GIF, WebP)",
                        "image/jpeg,image/png,image/gif,image/webp"),
              "pdf": ("PDF", "application/pdf,.pdf"),
              "epub": ("EPUB", "application/epub+zip,.epub"),
              "video": ("video (WebM, MP4)", "video/webm,video/mp4,.webm,.mp4"),
              "audio": ("audio (Ogg, Opus, MP3)",
                        "audio/ogg,audio/opus,audio/mpeg,.ogg,.opus,.mp3")}
CONTAINER_NAMES = {".webm": "WebM", ".mp4": "MP4", ".ogg": "Ogg", ".mp3": "MP3"}


def duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02}:{rest % 60:02}" if hours else f"{rest // 60}:{rest % 60:02}"


def fileinfo(f: Any) -> Markup:
    """What a post says of a file: its kind, pages or length, picture size, bytes (made of
    numbers and the site's own words only)."""
    size = filesize(f.fsize)
    plural = "" if f.pages == 1 else "s"
    if f.kind == "pdf":
        return Markup("PDF, {} page{}, {}").format(f.pages, plural, size)
    if f.kind == "epub":
        return Markup("EPUB, {} section{}, {}").format(f.pages, plural, size)
    kind = f"{CONTAINER_NAMES.get(f.ext, '')} {f.kind}".strip()
    if f.kind == "audio":
        return Markup("{}, {}, {}").format(kind, duration(f.duration), size)
    if f.kind == "video":
        return Markup("{}, {}, {}&times;{}, {}").format(kind, duration(f.duration), f.w, f.h,
                                                         size)
    return Markup("{}, {}&times;{}").format(size, f.w, f.h)


def filetype(f: Any) -> str:
    return EXTENSION_TYPES[f.ext][1]


def kinds_taken(board: Board) -> str:
    return "; ".join(f"{KIND_NAMES[kind][0]} at most {filesize(board.max_bytes(kind))}"
                     for kind in board.kinds)


def kinds_accepted(board: Board) -> str:
    return ",".join(KIND_NAMES[kind][1] for kind in board.kinds)


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        id_class=id_colour_class, isotime=isotime, shorttime=shorttime, filesize=filesize,
        shown_text=plain_text, event_when=event_when, fileinfo=fileinfo, filetype=filetype,
        kinds_taken=kinds_taken, kinds_accepted=kinds_accepted,
    )
    app.jinja_env.globals["event_headings"] = HEADINGS
    app.jinja_env.globals["reader_stylesheet"] = reader.stylesheet_url
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
