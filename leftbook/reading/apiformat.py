"""Rows turned into the dicts of 4chan's read-only JSON API (as vichan copies it).

Differences a client must know, all as in vichan unless said otherwise:

- `tim` is a string: the file's hex SHA-256, not 4chan's integer. The file is at
  `/<board>/src/<tim><ext>` and its thumbnail at `/<board>/thumb/<tim><thumb_ext>`, where
  `thumb_ext` (a Leftbook field) is the thumbnail's real extension (".jpg" or ".png"); there is
  no 4chan-style `<tim>s.jpg`.
- `filename` is the original name without its extension only when the operator keeps names
  (`LEFTBOOK_KEEP_FILENAMES=on`); otherwise it is the `tim`, so clients that need it still work.
- Pages are counted from 0: `0.json` is the first index page, and `page` in catalog.json and
  threads.json starts at 0.
- `images` counts replies with files (the opening post's files are not counted), as in 4chan.
- A post's first file is in 4chan's fields; its further files are in `extra_files`, a list of
  objects with the same file fields, as vichan gives them. `ext` names the kind (".pdf",
  ".epub", ".webm", ".mp4", ".ogg", ".mp3" beside the image extensions); Leftbook adds
  `kind` (for any file not an image: "pdf", "epub", "video", "audio"), `pages` (a PDF's
  pages, an EPUB's sections) and `duration` (seconds of video or audio). `w` and `h` are a
  video's size, a PDF's first page in points, an EPUB cover's size, 0 for audio.
- `now` is in UTC.
- `name` and `sub` are HTML-escaped, as 4chan sends them; `com` is the rendered HTML.

Event threads (Leftbook fields, on event boards): the opening post carries `event_start` and,
when given, `event_end` (ISO 8601 local date `YYYY-MM-DD` or date-time `YYYY-MM-DDTHH:MM`, the
organisers' local time, no zone), `event_place` (a city or region) and `event_link` (the
organisers' public page). In boards.json, `events: 1` marks an event board (its new threads
must carry `event_start`, `event_place` and `event_link`).

A field without a value is left out, as 4chan does; thread fields (`sticky`, `closed`,
`replies`, `images`, `bumplimit`, `last_modified`, `omitted_*`) appear only on opening posts.
Nothing here goes beyond what the HTML pages show: no password hashes, salts or body source.
"""

from datetime import UTC, datetime
from html import escape
from pathlib import PurePosixPath
from typing import Any

from leftbook.boards import Board
from leftbook.database.models import File, Post, Thread
from leftbook.reading.pages import ThreadView


def _one_file(post: Post, f: File, first: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "tim": f.tim,
        "filename": PurePosixPath(post.filename).stem if post.filename and first else f.tim,
        "ext": f.ext,
        "thumb_ext": f.thumb_ext,
        "fsize": f.fsize,
        "md5": f.md5,
        "w": f.w,
        "h": f.h,
        "tn_w": f.tn_w,
        "tn_h": f.tn_h,
    }
    if f.kind != "image":
        fields["kind"] = f.kind
    if f.pages:
        fields["pages"] = f.pages
    if f.duration:
        fields["duration"] = f.duration
    if post.spoiler:
        fields["spoiler"] = 1
    return fields


def _file_fields(post: Post) -> dict[str, Any]:
    """The first file in 4chan's fields, the others in `extra_files` (as vichan does)."""
    files = post.files
    if not files:
        return {}
    fields = _one_file(post, files[0], True)
    if len(files) > 1:
        fields["extra_files"] = [_one_file(post, f, False) for f in files[1:]]
    return fields


def post_dict(post: Post) -> dict[str, Any]:
    """One post as the API shows it (reply fields only; see `op_dict` for opening posts)."""
    is_op = post.no == post.thread_no
    data: dict[str, Any] = {
        "no": post.no,
        "resto": 0 if is_op else post.thread_no,
        "now": datetime.fromtimestamp(post.time, UTC).strftime("%m/%d/%y(%a)%H:%M:%S"),
        "time": post.time,
        "name": escape(post.name),
    }
    optional = {"trip": post.trip, "id": post.poster_id,
                "sub": escape(post.subject) if post.subject else None, "com": post.html}
    data.update({key: value for key, value in optional.items() if value})
    data.update(_file_fields(post))
    if post.file_deleted:
        data["filedeleted"] = 1
    return data


def op_dict(board: Board, thread: Thread, op: Post) -> dict[str, Any]:
    """An opening post with the thread's flags and counts."""
    data = post_dict(op)
    if thread.sticky:
        data["sticky"] = 1
    if thread.locked:
        data["closed"] = 1
    data["replies"] = thread.replies
    data["images"] = max(0, thread.images - (1 if op.file_id else 0))
    data["bumplimit"] = 1 if thread.replies >= board.bump_limit else 0
    data["last_modified"] = thread.last_modified
    data.update(event_fields(op))
    return data


def event_fields(op: Post) -> dict[str, str]:
    """The event an opening post announces, as the API names it (empty for other posts)."""
    fields = {"event_start": op.event_start, "event_end": op.event_end,
              "event_place": op.event_place, "event_link": op.event_link}
    return {key: value for key, value in fields.items() if value}


def thread_posts(board: Board, view: ThreadView) -> list[dict[str, Any]]:
    """A thread's posts, opening post first (as its view holds them)."""
    op, *replies = view.posts
    return [op_dict(board, view.thread, op), *map(post_dict, replies)]


def index_page(board: Board, views: list[ThreadView]) -> dict[str, Any]:
    """An index page: each thread's opening post, its last replies, and what was left out."""
    threads = []
    for view in views:
        posts = thread_posts(board, view)
        posts[0]["omitted_posts"] = view.omitted_posts
        posts[0]["omitted_images"] = max(0, view.omitted_images)
        threads.append({"posts": posts})
    return {"threads": threads}


def _paged(board: Board, items: list[Any], page_count: int) -> list[dict[str, Any]]:
    per_page = board.threads_per_page
    return [
        {"page": page, "threads": items[page * per_page:(page + 1) * per_page]}
        for page in range(page_count)
    ]


def catalog(board: Board, views: list[ThreadView], page_count: int) -> list[dict[str, Any]]:
    """Every thread's opening post, split into the board's index pages."""
    ops = []
    for view in views:
        op = op_dict(board, view.thread, view.posts[0])
        op["omitted_posts"] = view.thread.replies
        op["omitted_images"] = op["images"]
        ops.append(op)
    return _paged(board, ops, page_count)


def thread_list(board: Board, views: list[ThreadView], page_count: int) -> list[dict[str, Any]]:
    """threads.json: number, last change and reply count of every thread, by page."""
    rows = [
        {"no": v.thread.no, "last_modified": v.thread.last_modified, "replies": v.thread.replies}
        for v in views
    ]
    return _paged(board, rows, page_count)


def board_dict(board: Board) -> dict[str, Any]:
    """One entry of boards.json."""
    data: dict[str, Any] = {
        "board": board.slug,
        "title": board.title,
        "meta_description": board.description,
        "pages": board.pages,
        "per_page": board.threads_per_page,
        "bump_limit": board.bump_limit,
        "max_filesize": board.largest_file,
        "max_files": board.max_files,
        "file_kinds": list(board.kinds),
        "max_comment_chars": board.max_body,
        "spoilers": 1,
    }
    if board.ids:
        data["user_ids"] = 1
    if board.events:
        data["events"] = 1
    return data
