"""Readers reporting posts (no JavaScript: the selected posts' form with a Report button)."""

from flask import Blueprint, abort, current_app, request

from leftbook import reports
from leftbook.forms import ReportForm, first_error
from leftbook.posts import PostError
from leftbook.views.common import POSTER_COOKIE, done_with_selection, get_board, selected_posts

blueprint = Blueprint("reports", __name__)


@blueprint.post("/<board>/report")
def report(board: str):
    b = get_board(board)
    form = ReportForm()
    if not form.validate():
        abort(400, first_error(form))
    try:
        count = reports.file_report(
            b, selected_posts(), form.reason.data or "", form.text.data or "",
            request.cookies.get(POSTER_COOKIE), current_app.config["SECRET_KEY"],
        )
    except PostError as exc:
        abort(exc.status, exc.message)
    return done_with_selection(b.slug, reported=count)
