"""Small helpers the views share."""

from flask import Response, abort, current_app, make_response, request, session
from flask_wtf.csrf import generate_csrf

from leftbook.boardconf import Board
from leftbook.pagecache import etag_for

PASSWORD_COOKIE = "password"  # noqa: S105 (a cookie name)
POSTER_COOKIE = "poster"


def get_board(slug: str) -> Board:
    board = current_app.config["BOARDS"].get(slug)
    if board is None:
        abort(404, "There is no such board.")
    return board


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes[
        "text/html"
    ]


def viewer_state() -> tuple[str, ...]:
    """What makes one reader's copy of a page differ from another's (form tokens, prefill)."""
    from leftbook.views.captcha import page_gate

    generate_csrf()
    gate = page_gate()
    return (
        session.get("csrf_token", ""),
        request.cookies.get(PASSWORD_COOKIE, ""),
        current_app.config.get("ONION_HOST") or "",
        *(gate.state if gate else ()),
    )


def not_modified_or(version_parts: tuple, render) -> Response:
    """Answer 304 when the reader's copy is current, else render the page with its ETag."""
    etag = etag_for(*version_parts, *viewer_state())
    if etag.strip('"') in request.if_none_match:
        response = make_response("", 304)
    else:
        response = make_response(render())
    response.set_etag(etag.strip('"'))
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def cookie_options(max_age: int | None = None) -> dict:
    return {"httponly": True, "samesite": "Strict", "secure": False, "max_age": max_age,
            "path": "/"}
