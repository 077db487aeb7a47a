"""The read API: 4chan-style JSON for boards, catalogs, index pages and threads.

See `leftbook.reading.apiformat` for the fields and how clients build file URLs. Every board
endpoint first reads the board's version (one cheap query) and answers 304 when the reader's ETag or
Last-Modified is current, before running the queries that build the answer.
"""

import json
from typing import Any

from flask import Blueprint, Response, abort, current_app
from werkzeug.exceptions import HTTPException

from leftbook.reading import apiformat, pages
from leftbook.refusal import Refusal
from leftbook.web.http import board_conditional, conditional, version_seen_at
from leftbook.web.site import boards as configured_boards
from leftbook.web.site import get_board

blueprint = Blueprint("api", __name__)

JSON_TYPE = "application/json"


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _json_error(message: str, status: int, **extra: object) -> Response:
    body = _json({"error": message, **extra})
    return current_app.response_class(body, status=status, mimetype=JSON_TYPE)


@blueprint.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    """API clients get their errors as JSON whatever they sent in Accept."""
    return _json_error(exc.description or exc.name, exc.code or 500)


@blueprint.errorhandler(Refusal)
def refused(refusal: Refusal):
    return _json_error(refusal.message, refusal.status, **refusal.extra)


@blueprint.get("/boards.json")
def boards():
    configured = list(configured_boards().values())
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
    pages.existing_thread(b, no)

    def render() -> str:
        return _json({"posts": apiformat.thread_posts(b, pages.existing_thread_view(b, no))})

    return board_conditional(b, ("thread.json", no), render, JSON_TYPE)
