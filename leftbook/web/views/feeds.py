"""Atom feeds of a board's new threads and of one thread (built in `leftbook.reading.atom`).

Feed readers get `application/atom+xml`; a browser opening the link (it asks for HTML first)
gets the same document as `text/xml` with a stylesheet, so it shows the feed instead of
downloading a file.
"""

from flask import Blueprint, Response, request

from leftbook.reading import atom, pages
from leftbook.web.assets import asset
from leftbook.web.http import board_conditional, version_seen_at
from leftbook.web.site import get_board

blueprint = Blueprint("feeds", __name__)

BROWSER_TYPE = "text/xml"


def _root() -> str:
    return request.host_url.rstrip("/")


def _for_browser() -> bool:
    best = request.accept_mimetypes.best_match([atom.ATOM_TYPE, "text/html"])
    return best == "text/html"


def _stylesheet() -> str | None:
    return asset("feed.css") if _for_browser() else None


def _answer(board, kind: tuple, render) -> Response:
    browser = _for_browser()
    response = board_conditional(board, (*kind, request.host_url, browser), render,
                                 BROWSER_TYPE if browser else atom.ATOM_TYPE)
    response.vary.add("Accept")
    return response


@blueprint.get("/<board>/index.atom")
def board_feed(board: str) -> Response:
    b = get_board(board)

    def render() -> str:
        changed = version_seen_at(b.slug, pages.listing_version(b))
        return atom.board_feed(b, _root(), request.path, changed, _stylesheet())

    return _answer(b, ("index.atom",), render)


@blueprint.get("/<board>/res/<number:no>.atom")
def thread_feed(board: str, no: int) -> Response:
    b = get_board(board)
    thread = pages.existing_thread(b, no)
    return _answer(b, ("thread.atom", no),
                   lambda: atom.thread_feed(b, thread, _root(), request.path, _stylesheet()))
