"""Janitors: a capability link becomes a session cookie; the dashboard lists reports to act on."""

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_wtf.csrf import generate_csrf

from leftbook.moderation import actions, capabilities
from leftbook.reading import pages
from leftbook.web.cookies import JANITOR_COOKIE, cookie_options
from leftbook.web.forms import JanitorActionForm, first_error
from leftbook.web.http import POST_NUMBER, local_path
from leftbook.web.janitor_session import require_grant
from leftbook.web.site import secrets, store

blueprint = Blueprint("janitor", __name__, url_prefix="/janitor")

DONE = {
    "delete": "Deleted No.{no}.", "delete-file": "Deleted the file of No.{no}.",
    "delete-by-id": "Deleted every post by the ID of No.{no}.",
    "ban-file": "Banned the file of No.{no} and deleted it everywhere.",
    "lock": "Locked thread No.{no}.", "unlock": "Unlocked thread No.{no}.",
    "sticky": "Made thread No.{no} sticky.", "unsticky": "Thread No.{no} is no longer sticky.",
    "dismiss": "Dismissed the report on No.{no}.",
}
ONE_FILE = {"delete-file": "Deleted one file of No.{no}.",
            "ban-file": "Banned one file of No.{no} and deleted it everywhere."}
TIM = re.compile(r"[0-9a-f]{64}")


@blueprint.get("/<token>")
def exchange(token: str):
    key = secrets().capability_key
    session, value = capabilities.session_token(capabilities.check(token, key), key)
    response = redirect(url_for("janitor.dashboard"), 303)
    response.set_cookie(JANITOR_COOKIE, value, expires=session.expires, **cookie_options())
    return response


@blueprint.get("/")
def dashboard():
    grant = require_grant()
    reports = pages.open_reports(grant.boards)
    posts = pages.with_files([r.post.id for r in reports])
    return render_template("janitor.html", grant=grant, reports=reports,
                           posts={p.id: p for p in posts}, csrf_token=generate_csrf())


@blueprint.post("/action/<board>")
def act(board: str):
    grant = require_grant()
    form = JanitorActionForm()
    if not form.validate():
        abort(400, first_error(form))
    action, _, target = form.do.data.partition(":")
    number, _, tim = target.partition(":")
    if not POST_NUMBER.fullmatch(number) or (tim and not TIM.fullmatch(tim)):
        abort(400, "The action names no post.")
    back = local_path(form.back.data or request.referrer, url_for("janitor.dashboard"))
    if action in actions.NEEDS_CONFIRMATION and not form.confirmed.data:
        return render_template("janitor_confirm.html", board=board, do=form.do.data, back=back,
                               posts=actions.same_id_posts(board, int(number)),
                               report=form.report.data, csrf_token=generate_csrf())
    actions.act(grant, action, board, int(number), store(), report_id=form.report.data,
                tim=tim or None)
    done = ONE_FILE.get(action) if tim else None
    flash((done or DONE.get(action, "Done.")).format(no=number), "done")
    return redirect(back, 303)


@blueprint.post("/logout")
def logout():
    response = redirect(url_for("boards.home"), 303)
    response.delete_cookie(JANITOR_COOKIE, path="/")
    return response
