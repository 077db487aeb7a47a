"""Atom feeds of a board's new threads and of one thread (built in `leftbook.reading.atom`)."""

from flask import Blueprint, Response, request

from leftbook.reading import atom, pages
from leftbook.web.http import board_conditional, version_seen_at
from leftbook.web.site import get_board

blueprint = Blueprint("feeds", __name__)


def _root() -> str:
    return request.host_url.rstrip("/")


@blueprint.get("/<board>/index.atom")
def board_feed(board: str) -> Response:
    b = get_board(board)

    def render() -> str:
        changed = version_seen_at(b.slug, pages.board_version(b.slug))
        return atom.board_feed(b, _root(), request.path, changed)

    return board_conditional(b, ("index.atom", request.host_url), render, atom.ATOM_TYPE)


@blueprint.get("/<board>/res/<number:no>.atom")
def thread_feed(board: str, no: int) -> Response:
    b = get_board(board)
    thread = pages.existing_thread(b, no)
    return board_conditional(b, ("thread.atom", no, request.host_url),
                             lambda: atom.thread_feed(b, thread, _root(), request.path),
                             atom.ATOM_TYPE)
