"""Boards are defined by TOML files in the boards dir, one per board, checked strictly at start."""

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leftbook.settings import ConfigError

SLUG = re.compile(r"^[a-z0-9]{1,16}$")
RESERVED_SLUGS = {"janitor", "static", "rules", "api", "res", "src", "thumb", "search",
                  "overboard", "watched"}
DURATION = re.compile(r"^(\d+)\s*([smhd])$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
FILE_POLICIES = ("required", "optional", "none")
FILE_KINDS = ("image", "pdf", "epub", "video", "audio")  # as leftbook.media.KINDS
MIB = 1024 * 1024


class BoardFileError(ConfigError):
    """A board file the site cannot start with; the message names the file and the field."""


@dataclass(frozen=True)
class Board:
    slug: str
    title: str
    description: str
    rules: tuple[str, ...]
    pages: int = 10
    threads_per_page: int = 10
    bump_limit: int = 300
    max_replies: int = 1000
    max_body: int = 4000
    max_subject: int = 100
    preview_replies: int = 5
    thread_ttl: int = 60 * 86400
    delete_window: int = 86400
    default_name: str = "Anonymous"
    ids: bool = False
    captcha: str = "off"
    thread_file: str = "optional"
    reply_file: str = "optional"
    max_file_bytes: int = 8 * MIB  # an image
    max_pixels: int = 40_000_000
    max_frames: int = 500
    thumb_size: int = 250
    kinds: tuple[str, ...] = ("image",)  # what files the board takes
    max_files: int = 4  # in one post
    max_pdf_bytes: int = 32 * MIB
    max_epub_bytes: int = 16 * MIB
    max_video_bytes: int = 64 * MIB
    max_audio_bytes: int = 32 * MIB
    max_post_bytes: int = 96 * MIB  # every file of one post together
    max_pages: int = 2000  # of a PDF
    max_video_seconds: int = 30 * 60
    max_audio_seconds: int = 2 * 3600
    filters: tuple[dict[str, str], ...] = field(default=())
    events: bool = False  # an event board: a new thread announces an event (leftbook.events)
    past_event_ttl: int = 7 * 86400  # an event thread is pruned this long after its event ends
    overboard: bool = True  # its threads are shown on /overboard/

    @property
    def capacity(self) -> int:
        """How many threads the board keeps before the least recently bumped falls off."""
        return self.pages * self.threads_per_page

    def max_bytes(self, kind: str) -> int:
        """The size cap of one file of `kind`."""
        return self.max_file_bytes if kind == "image" else getattr(self, f"max_{kind}_bytes")

    @property
    def largest_file(self) -> int:
        return max(self.max_bytes(kind) for kind in self.kinds)

    @property
    def post_bytes(self) -> int:
        """What the files of one post may weigh together."""
        return min(self.max_post_bytes, self.max_files * self.largest_file)


def _duration(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    match = DURATION.match(value) if isinstance(value, str) else None
    if not match or int(match.group(1)) == 0:
        raise ValueError('a duration such as "24h", "30d" or a number of seconds')
    return int(match.group(1)) * UNIT_SECONDS[match.group(2)]


def _positive(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError("a positive whole number")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("a non-empty string")
    return value.strip()


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("true or false")
    return value


def _choice(*choices: str):
    def check(value: Any) -> str:
        if value not in choices:
            raise ValueError("one of " + ", ".join(f'"{c}"' for c in choices))
        return value

    return check


def _kinds(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(k in FILE_KINDS for k in value):
        raise ValueError("a non-empty list of " + ", ".join(f'"{k}"' for k in FILE_KINDS))
    return tuple(k for k in FILE_KINDS if k in value)


def _rules(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ValueError("a non-empty list of strings")
    return tuple(_text(rule) for rule in value)


def _filters(value: Any) -> tuple[dict[str, str], ...]:
    if not isinstance(value, list):
        raise ValueError("a list of tables")
    checked = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("pattern"), str):
            raise ValueError('a list of tables with a "pattern"')
        action = _choice("reject", "replace")(item.get("action", "reject"))
        try:
            re.compile(item["pattern"])
        except re.error as exc:
            raise ValueError(f"valid regular expressions ({exc})") from exc
        checked.append({"pattern": item["pattern"], "action": action,
                        "replacement": str(item.get("replacement", ""))})
    return tuple(checked)


# TOML key (dotted for tables) -> (Board attribute, checker)
FIELDS = {
    "slug": ("slug", _text),
    "title": ("title", _text),
    "description": ("description", _text),
    "rules": ("rules", _rules),
    "default_name": ("default_name", _text),
    "ids": ("ids", _flag),
    "captcha": ("captcha", _choice("off", "threads")),
    "filters": ("filters", _filters),
    "events": ("events", _flag),
    "overboard": ("overboard", _flag),
    "limits.pages": ("pages", _positive),
    "limits.threads_per_page": ("threads_per_page", _positive),
    "limits.bump_limit": ("bump_limit", _positive),
    "limits.max_replies": ("max_replies", _positive),
    "limits.max_body": ("max_body", _positive),
    "limits.max_subject": ("max_subject", _positive),
    "limits.preview_replies": ("preview_replies", _positive),
    "limits.thread_ttl": ("thread_ttl", _duration),
    "limits.delete_window": ("delete_window", _duration),
    "limits.past_event_ttl": ("past_event_ttl", _duration),
    "files.thread": ("thread_file", _choice(*FILE_POLICIES)),
    "files.reply": ("reply_file", _choice("optional", "none")),
    "files.max_bytes": ("max_file_bytes", _positive),
    "files.max_pixels": ("max_pixels", _positive),
    "files.max_frames": ("max_frames", _positive),
    "files.thumb_size": ("thumb_size", _positive),
    "files.kinds": ("kinds", _kinds),
    "files.max_files": ("max_files", _positive),
    "files.max_pdf_bytes": ("max_pdf_bytes", _positive),
    "files.max_epub_bytes": ("max_epub_bytes", _positive),
    "files.max_video_bytes": ("max_video_bytes", _positive),
    "files.max_audio_bytes": ("max_audio_bytes", _positive),
    "files.max_post_bytes": ("max_post_bytes", _positive),
    "files.max_pages": ("max_pages", _positive),
    "files.max_video_duration": ("max_video_seconds", _duration),
    "files.max_audio_duration": ("max_audio_seconds", _duration),
}
REQUIRED = ("slug", "title", "description", "rules")
TABLES = ("limits", "files")


def _flatten(data: dict[str, Any]) -> dict[str, Any]:
    flat = {}
    for key, value in data.items():
        if key in TABLES and isinstance(value, dict):
            flat.update({f"{key}.{sub}": v for sub, v in value.items()})
        else:
            flat[key] = value
    return flat


def parse_board(path: Path) -> Board:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BoardFileError(f"{path}: not valid TOML ({exc})") from exc
    values: dict[str, Any] = {}
    for key, value in _flatten(data).items():
        if key not in FIELDS:
            raise BoardFileError(f"{path}: unknown field '{key}'")
        attribute, check = FIELDS[key]
        try:
            values[attribute] = check(value)
        except ValueError as exc:
            raise BoardFileError(f"{path}: field '{key}' must be {exc}") from exc
    for key in REQUIRED:
        if key not in values:
            raise BoardFileError(f"{path}: field '{key}' is missing")
    slug = values["slug"]
    if not SLUG.match(slug) or slug in RESERVED_SLUGS:
        raise BoardFileError(
            f"{path}: field 'slug' must be 1-16 lowercase letters or digits, not a reserved word"
        )
    return Board(**values)


def load_boards(directory: Path) -> dict[str, Board]:
    """Every `*.toml` board in `directory`, by slug, in file-name order."""
    if not directory.is_dir():
        raise BoardFileError(f"{directory}: boards directory not found (LEFTBOOK_BOARDS_DIR)")
    boards: dict[str, Board] = {}
    for path in sorted(directory.glob("*.toml")):
        board = parse_board(path)
        if board.slug in boards:
            raise BoardFileError(f"{path}: field 'slug' repeats board '{board.slug}'")
        boards[board.slug] = board
    if not boards:
        raise BoardFileError(f"{directory}: no board files (*.toml) found")
    return boards
