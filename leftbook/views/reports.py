"""Readers reporting posts (no JavaScript: the selected posts' form with a Report button)."""

from flask import Blueprint, abort, current_app, jsonify, redirect, request, url_for

from leftbook import reports
from leftbook.forms import ReportForm, first_error
from leftbook.posts import PostError
from leftbook.views.common import POSTER_COOKIE, get_board, wants_json

blueprint = Blueprint("reports", __name__)


@blueprint.post("/<board>/report")
def report(board: str):
    b = get_board(board)
    form = ReportForm()
    if not form.validate():
        abort(400, first_error(form))
    try:
        numbers = [int(n) for n in request.form.getlist("post")]
    except ValueError:
        abort(400, "Post numbers must be numbers.")
    try:
        count = reports.file_report(
            b, numbers, form.reason.data or "", form.text.data or "",
            request.cookies.get(POSTER_COOKIE), current_app.config["SECRET_KEY"],
        )
    except PostError as exc:
        abort(exc.status, exc.message)
    if wants_json():
        return jsonify(reported=count)
    return redirect(url_for("boards.index", board=b.slug), 303)
