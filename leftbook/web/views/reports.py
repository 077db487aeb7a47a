"""Readers reporting posts (no JavaScript: the selected posts' form with a Report button)."""

from flask import Blueprint, abort, render_template, request, url_for

from leftbook.moderation import reports
from leftbook.reading import pages
from leftbook.web.cookies import POSTER_COOKIE
from leftbook.web.formcookie import PUBLIC_FORM_TOKEN
from leftbook.web.forms import ReportForm, first_error
from leftbook.web.http import done_with_selection, numbered, selected_posts
from leftbook.web.site import get_board, secrets

blueprint = Blueprint("reports", __name__)


@blueprint.get("/<board>/report/<number:no>")
def report_page(board: str, no: int):
    """A page of its own for one report, so Enter in any field files it (no JavaScript)."""
    b = get_board(board)
    post = pages.existing_post(b, no)
    back = url_for("boards.thread", board=b.slug, no=post.thread_no, _anchor=f"p{no}")
    return render_template("report.html", board=b, post=post, back=back,
                           reasons=reports.REASONS, csrf_token=PUBLIC_FORM_TOKEN)


@blueprint.post("/<board>/report")
def report(board: str):
    b = get_board(board)
    form = ReportForm()
    if not form.validate():
        abort(400, first_error(form))
    numbers = selected_posts()
    count = reports.file_report(
        b, numbers, form.reason.data or "", form.text.data or "",
        request.cookies.get(POSTER_COOKIE), secrets().secret_key,
    )
    return done_with_selection(b.slug, f"Reported {numbered(numbers)}. Thank you: janitors "
                               "will look at it.", reported=count)
