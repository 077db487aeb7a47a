"""Readers reporting posts (no JavaScript: the selected posts' form with a Report button)."""

from flask import Blueprint, abort, request

from leftbook.moderation import reports
from leftbook.web.cookies import POSTER_COOKIE
from leftbook.web.forms import ReportForm, first_error
from leftbook.web.http import done_with_selection, selected_posts
from leftbook.web.site import get_board, secrets

blueprint = Blueprint("reports", __name__)


@blueprint.post("/<board>/report")
def report(board: str):
    b = get_board(board)
    form = ReportForm()
    if not form.validate():
        abort(400, first_error(form))
    count = reports.file_report(
        b, selected_posts(), form.reason.data or "", form.text.data or "",
        request.cookies.get(POSTER_COOKIE), secrets().secret_key,
    )
    return done_with_selection(b.slug, reported=count)
