"""Stored files and thumbnails: immutable, content-addressed, contained by the file store.

Each is served with the type of its kind (never guessed from the bytes: nosniff is on
every response), `inline` where a browser shows it (images, PDF in the browser's own
viewer, video, audio) and as an attachment otherwise (EPUB); video and audio answer range
requests, so the browser's player can seek.
"""

from flask import Blueprint, abort, request, send_file

from leftbook.media import EXTENSION_TYPES
from leftbook.web.site import get_board, store

blueprint = Blueprint("files", __name__)

IMMUTABLE = 365 * 86400
SEEKABLE = ("video", "audio")


def _send(board: str, kind: str, name: str):
    get_board(board)
    path = store().find(kind, name)
    if path is None:
        abort(404, "There is no such file (it may have been deleted or pruned).")
    file_kind, mimetype, inline = EXTENSION_TYPES[path.suffix]
    if kind == "thumb":
        file_kind, inline = "image", True
    response = send_file(path, mimetype=mimetype, etag=False, conditional=False)
    response.set_etag(name)  # the content's hash: nothing about when it was first stored
    response.headers.pop("Last-Modified", None)
    seekable = file_kind in SEEKABLE
    response.make_conditional(request, accept_ranges=seekable,
                              complete_length=path.stat().st_size if seekable else None)
    response.headers["Cache-Control"] = f"public, max-age={IMMUTABLE}, immutable"
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{name}"'
    return response


@blueprint.get("/<board>/src/<name>")
def source(board: str, name: str):
    return _send(board, "src", name)


@blueprint.get("/<board>/thumb/<name>")
def thumbnail(board: str, name: str):
    return _send(board, "thumb", name)
