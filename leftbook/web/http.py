"""HTTP for every view: content negotiation, conditional answers (ETag, Last-Modified,
304), and forms that act on ticked posts."""

import re
from collections.abc import Callable
from datetime import UTC, datetime

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    request,
    url_for,
)

from leftbook import clock
from leftbook.boards import Board
from leftbook.database import read_snapshot
from leftbook.reading import pages
from leftbook.web.pagecache import etag_for

POST_NUMBER = re.compile(r"[1-9][0-9]{0,14}")  # below MAX_POST_NO, as URLs take them


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes[
        "text/html"
    ]


def version_seen_at(key: str, version: object) -> int:
    """When this process first saw `version` of `key`, used as Last-Modified.

    Deleting or pinning a thread changes a board without changing any post time, so only the
    version tells every change; another instance may date a version a little later, which
    costs a reader one full answer, never a stale one.
    """
    seen = current_app.extensions.setdefault("leftbook_version_seen", {})
    known = seen.get(key)
    if known is None or known[0] != version:
        known = (version, clock.now())
        seen[key] = known
    return known[1]


def conditional(parts: tuple, last_modified: int, render: Callable[[], str],
                mimetype: str, cache_control: str = "no-cache") -> Response:
    """Answer 304 when the reader's copy is current (ETag first, else Last-Modified)."""
    etag = etag_for(*parts)
    if request.if_none_match:
        fresh = not request.if_none_match.star_tag and request.if_none_match.contains_weak(etag)
    else:
        since = request.if_modified_since
        fresh = since is not None and since.timestamp() >= last_modified
    response_class = current_app.response_class
    if fresh:
        response = response_class(status=304)
    else:
        with read_snapshot():
            response = response_class(render(), mimetype=mimetype)
    response.set_etag(etag)
    response.last_modified = datetime.fromtimestamp(last_modified, UTC)
    response.headers["Cache-Control"] = cache_control
    return response


def board_conditional(board: Board, kind: tuple, render: Callable[[], str],
                      mimetype: str) -> Response:
    """`conditional` for anything built from one board's posts: valid while its version is."""
    version = pages.listing_version(board)
    parts = (*kind, repr(board), version)
    return conditional(parts, version_seen_at(board.slug, version), render, mimetype)


def local_path(value: str | None, default: str) -> str:
    """`value` when it is a plain path on this site, else `default`. Browsers drop tabs and
    newlines from URLs and read a backslash as a slash, so any of those (or another control
    or space character) makes it no path of ours: `/<tab>/evil.com` would become `//evil.com`."""
    if (value and value.startswith("/") and not value.startswith("//")
            and value.isprintable() and not any(c.isspace() or c == "\\" for c in value)):
        return value
    return default


def selected_posts() -> list[int]:
    """The post numbers ticked in a page's form (delete, report)."""
    numbers = request.form.getlist("post")
    if not all(POST_NUMBER.fullmatch(n) for n in numbers):
        abort(400, "Post numbers must be numbers.")
    return [int(n) for n in numbers]


FILE_CHOICE = re.compile(r"([1-9][0-9]{0,14}):([0-9a-f]{64})")


def selected_files(limit: int = 40) -> list[tuple[int, str]]:
    """The single files ticked in a page's form: (post number, tim)."""
    values = request.form.getlist("file")
    matches = [FILE_CHOICE.fullmatch(value) for value in values[:limit + 1]]
    if len(values) > limit or not all(matches):
        abort(400, "Files are chosen by post number and file name.")
    return [(int(m.group(1)), m.group(2)) for m in matches if m]


def numbered(numbers: list[int]) -> str:
    """'No.3' or 'No.3 and No.5' or 'No.3, No.5 and No.8'."""
    names = [f"No.{n}" for n in sorted(set(numbers))]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


THREAD_PATH = re.compile(r"/(?P<board>[a-z0-9]{1,16})/res/(?P<no>[1-9][0-9]{0,14})\.html")


def back_to(value: str | None, board: str) -> str:
    """Where a person returns after an action: the page they came from when it is ours and
    still there (a thread they just deleted is not: then its board), else the board."""
    default = url_for("boards.index", board=board)
    path = local_path(value, default)
    thread = THREAD_PATH.fullmatch(path.partition("#")[0])
    if thread and not pages.thread_exists(thread["board"], int(thread["no"])):
        return url_for("boards.index", board=thread["board"])
    return path


def done_with_selection(board: str, message: str, **result: int) -> Response:
    """After acting on ticked posts: JSON for clients, else back to the page they came from,
    which says what happened."""
    if wants_json():
        return jsonify(**result)
    flash(message, "done")
    return redirect(back_to(request.form.get("back"), board), 303)
