"""Stored files and thumbnails: immutable, content-addressed, contained by the file store."""

from flask import Blueprint, abort, request, send_file

from leftbook.web.site import get_board, store

blueprint = Blueprint("files", __name__)

IMMUTABLE = 365 * 86400


def _send(board: str, kind: str, name: str):
    get_board(board)
    path = store().find(kind, name)
    if path is None:
        abort(404, "There is no such file (it may have been deleted or pruned).")
    response = send_file(path, etag=False, conditional=False)
    response.set_etag(name)  # the content's hash: nothing about when it was first stored
    response.headers.pop("Last-Modified", None)
    response.make_conditional(request)
    response.headers["Cache-Control"] = f"public, max-age={IMMUTABLE}, immutable"
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@blueprint.get("/<board>/src/<name>")
def source(board: str, name: str):
    return _send(board, "src", name)


@blueprint.get("/<board>/thumb/<name>")
def thumbnail(board: str, name: str):
    return _send(board, "thumb", name)
