"""The read API: 4chan-style JSON for boards, catalogs, index pages and threads.

See `leftbook.apiformat` for the fields and how clients build file URLs. Every board endpoint
first reads the board's version (one cheap query) and answers 304 when the reader's ETag or
Last-Modified is current, before running the queries that build the answer.
"""

import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, current_app
from werkzeug.exceptions import HTTPException

from leftbook import apiformat, pages
from leftbook.boardconf import Board
from leftbook.models import Thread
from leftbook.views.common import conditional, get_board, version_seen_at

blueprint = Blueprint("api", __name__)

JSON_TYPE = "application/json"
THREAD_GONE = "This thread does not exist (it may have been deleted or pruned)."


def board_conditional(board: Board, kind: tuple, render: Callable[[], str],
                      mimetype: str) -> Response:
    """`conditional` for anything built from one board's posts: valid while its version is."""
    version = pages.board_version(board.slug)
    parts = (*kind, repr(board), version)
    return conditional(parts, version_seen_at(board.slug, version), render, mimetype)


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


@blueprint.errorhandler(HTTPException)
def json_error(exc: HTTPException):
    """API clients get their errors as JSON whatever they sent in Accept."""
    body = _json({"error": exc.description or exc.name})
    return current_app.response_class(body, status=exc.code or 500, mimetype=JSON_TYPE)


@blueprint.get("/boards.json")
def boards():
    configured = list(current_app.config["BOARDS"].values())
    parts = ("boards.json", *map(repr, configured))
    return conditional(
        parts, version_seen_at("boards.json", parts),
        lambda: _json({"boards": [apiformat.board_dict(b) for b in configured]}), JSON_TYPE,
    )


@blueprint.get("/<board>/catalog.json")
def catalog(board: str):
    b = get_board(board)

    def render() -> str:
        return _json(apiformat.catalog(b, pages.catalog(b), pages.page_count(b)))

    return board_conditional(b, ("catalog.json",), render, JSON_TYPE)


@blueprint.get("/<board>/threads.json")
def threads(board: str):
    b = get_board(board)

    def render() -> str:
        return _json(apiformat.thread_list(b, pages.catalog(b), pages.page_count(b)))

    return board_conditional(b, ("threads.json",), render, JSON_TYPE)


@blueprint.get("/<board>/<number:page>.json")
def index_page(board: str, page: int):
    b = get_board(board)
    count = pages.page_count(b)
    if page >= count:
        abort(404, f"This board has {count} page(s), counted from 0.")
    return board_conditional(
        b, ("page.json", page),
        lambda: _json(apiformat.index_page(b, pages.index_page(b, page))), JSON_TYPE,
    )


@blueprint.get("/<board>/res/<number:no>.json")
def thread(board: str, no: int):
    b = get_board(board)
    if not Thread.select().where(Thread.board == b.slug, Thread.no == no).exists():
        abort(404, THREAD_GONE)

    def render() -> str:
        view = pages.thread_view(b, no)
        if view is None:
            abort(404, THREAD_GONE)
        return _json({"posts": apiformat.thread_posts(b, view)})

    return board_conditional(b, ("thread.json", no), render, JSON_TYPE)
