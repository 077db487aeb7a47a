"""Every failure becomes a friendly page (or JSON), in one place; never a stack trace.

A `Refusal` from the domain carries its message and status; one that asks for a captcha
shows a fresh one to solve; one with `retry_after` says when to send again.
"""

import logging
from html import escape

from flask import (
    Flask,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
)
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from leftbook.refusal import Refusal
from leftbook.web.formcookie import PUBLIC_FORM_TOKEN
from leftbook.web.gate import PageGate, current_challenge
from leftbook.web.http import back_to, wants_json

log = logging.getLogger("leftbook")

TITLES = {
    400: "Bad request", 403: "Not allowed", 404: "Not found", 405: "Method not allowed",
    409: "Conflict", 413: "Too large", 415: "Unsupported file", 421: "Wrong host",
    422: "Check your post",
    429: "Slow down", 500: "Something broke",
}
BACK_WITH_MESSAGE = frozenset({"posting.delete", "reports.report"})  # small forms on a page
SEND_AGAIN = "Then go back and send it again: your text is still in the form."
CAPTCHA_HINT = ("Solving it gives you a pass for a few posts: then go back and send your "
                "post again (your text is still in the form).")


def _board_slug() -> str | None:
    """The board of the page that failed, when it names one that exists (for a link back)."""
    slug = (request.view_args or {}).get("board") if request else None
    return slug if slug in current_app.config["BOARDS"] else None


def error_response(status: int, message: str, **extra: object):
    if wants_json():
        return jsonify(error=message, **extra), status
    title = TITLES.get(status, "Error")
    try:
        page = render_template("error.html", status=status, title=title, message=message,
                               board_slug=_board_slug())
    except Exception:  # the page itself cannot be built (no URL adapter): a plain one
        page = f"<!doctype html><title>{status}</title><h1>{escape(title)}</h1>" \
               f"<p>{escape(message)}</p>"
    return page, status


def refusal_response(refusal: Refusal):
    board = _board_slug()
    if request.endpoint in BACK_WITH_MESSAGE and board and not wants_json():
        flash(refusal.message, "refused")
        return redirect(back_to(request.form.get("back"), board), 303)
    if refusal.captcha and not wants_json():
        page = render_template(
            "captcha_solve.html", title="Captcha needed",
            gate=PageGate(challenge=current_challenge()), csrf_token=PUBLIC_FORM_TOKEN,
            message=f"{refusal.message} {CAPTCHA_HINT}")
        return make_response(page, refusal.status)
    retry_after = refusal.extra.get("retry_after")
    message = refusal.message
    if retry_after is not None and refusal.status == 429 and not wants_json():
        message = f"{message} {SEND_AGAIN}"
    response = make_response(error_response(refusal.status, message, **refusal.extra))
    if retry_after is not None and refusal.status in (429, 503):
        response.headers["Retry-After"] = str(retry_after)
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(Refusal)
    def refused(refusal: Refusal):
        return refusal_response(refusal)

    @app.errorhandler(CSRFError)
    def csrf_failed(exc: CSRFError):
        return error_response(
            400, f"{exc.description} Reload the page and submit the form again.")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return error_response(exc.code or 500,
                              exc.description or TITLES.get(exc.code or 500, "Error"))

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):
        log.error("unhandled %s", type(exc).__name__, exc_info=exc)
        return error_response(500, InternalServerError.description)
