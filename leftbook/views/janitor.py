"""Janitors: a capability link becomes a session cookie; the dashboard lists reports to act on."""

from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import generate_csrf

from leftbook import capabilities, moderation, pages
from leftbook.capabilities import CapabilityError, Grant
from leftbook.forms import JanitorActionForm, first_error
from leftbook.models import Post, Report
from leftbook.views.common import POST_NUMBER, cookie_options, local_path

blueprint = Blueprint("janitor", __name__, url_prefix="/janitor")

COOKIE = "janitor"
DASHBOARD_LIMIT = 100


def current_grant() -> Grant | None:
    """The janitor grant of this request's session cookie, re-checked against revocation."""
    if "janitor_grant" not in g:
        token = request.cookies.get(COOKIE)
        grant = None
        if token:
            try:
                grant = capabilities.check(
                    token, current_app.config["CAPABILITY_KEY"], purpose="janitor-session"
                )
            except CapabilityError:
                grant = None
        g.janitor_grant = grant
    return g.janitor_grant


def _require_grant() -> Grant:
    grant = current_grant()
    if grant is None:
        abort(403, "This needs a janitor link: open the link the operator gave you. "
                   "It may have expired or been revoked.")
    return grant


@blueprint.get("/<token>")
def exchange(token: str):
    try:
        grant = capabilities.check(token, current_app.config["CAPABILITY_KEY"])
    except CapabilityError as exc:
        abort(403, str(exc))
    response = redirect(url_for("janitor.dashboard"), 303)
    response.set_cookie(
        COOKIE, capabilities.session_token(grant, current_app.config["CAPABILITY_KEY"]),
        expires=grant.expires, **cookie_options(),
    )
    return response


@blueprint.get("/")
def dashboard():
    grant = _require_grant()
    query = (Report.select(Report, Post).join(Post)
             .where(Report.handled == False)  # noqa: E712
             .order_by(Report.created.desc()).limit(DASHBOARD_LIMIT))
    if grant.boards is not None:
        query = query.where(Report.board.in_(sorted(grant.boards)))
    reports = list(query)
    posts = list(pages.with_files([r.post.id for r in reports]))
    return render_template("janitor.html", grant=grant, reports=reports,
                           posts={p.id: p for p in posts}, csrf_token=generate_csrf())


@blueprint.post("/action/<board>")
def act(board: str):
    grant = _require_grant()
    form = JanitorActionForm()
    if not form.validate():
        abort(400, first_error(form))
    action, _, number = form.do.data.partition(":")
    if not POST_NUMBER.fullmatch(number):
        abort(400, "The action names no post.")
    try:
        moderation.act(grant, action, board, int(number),
                       Path(current_app.config["FILES_DIR"]), report_id=form.report.data)
    except CapabilityError as exc:
        abort(403, str(exc))
    except moderation.ModerationError as exc:
        abort(exc.status, exc.message)
    return redirect(local_path(form.back.data, url_for("janitor.dashboard")), 303)


@blueprint.post("/logout")
def logout():
    response = redirect(url_for("boards.home"), 303)
    response.delete_cookie(COOKIE, path="/")
    return response
