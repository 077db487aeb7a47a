"""The posting gate (lockdown, captcha, flood control) and the captcha image and solve routes."""

from collections.abc import Callable
from dataclasses import dataclass

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    make_response,
    render_template,
    request,
    session,
)
from flask_wtf.csrf import generate_csrf, validate_csrf
from wtforms import ValidationError

from leftbook import captcha, clock, flood, lockdown, posts
from leftbook.boardconf import Board
from leftbook.views.common import cookie_options, wants_json
from leftbook.views.errors import error_response

blueprint = Blueprint("captcha", __name__)

PASS_COOKIE = "pass"  # noqa: S105 (a cookie name)
SESSION_KEY = "captcha"
FRESH_ENOUGH = 120  # a challenge shown in a form has at least this many seconds left
FORM_ENDPOINTS = {"boards.index": True, "boards.thread": False}  # endpoint -> new thread?
REFUSALS = (flood.Refused, captcha.CaptchaError)



@dataclass(frozen=True)
class PostingGate:
    """What the post form must show: a closed notice, or a captcha challenge, or neither."""

    closed: str | None = None
    challenge: str | None = None

    @property
    def state(self) -> tuple[str, str]:
        return (self.closed or "", self.challenge or "")


def _secret() -> bytes:
    return current_app.config["SECRET_KEY"]


def current_pass() -> str | None:
    """The id of the reader's captcha pass, if it is genuine, unexpired and not used up."""
    pass_id = captcha.read_pass(_secret(), request.cookies.get(PASS_COOKIE))
    return pass_id if captcha.pass_left(pass_id) > 0 else None


def captcha_required(board: Board, new_thread: bool, mode: str | None) -> bool:
    """Whether posting here needs a solved captcha; `mode` is the lockdown in force."""
    setting = current_app.config["LEFTBOOK_CAPTCHA"]
    if mode == "captcha" or setting == "always":
        return True
    if setting != "auto":
        return False
    return (new_thread and board.captcha == "threads") or flood.under_flood(board.slug)


def current_challenge() -> str:
    """The challenge this browser is shown, kept in its session until used or nearly expired."""
    token = session.get(SESSION_KEY, "")
    challenge = captcha.read_challenge(_secret(), token) if token else None
    if (challenge is None or challenge.expires - FRESH_ENOUGH < clock.now()
            or captcha.is_used(challenge.id)):
        token = captcha.new_challenge(_secret())
        session[SESSION_KEY] = token
    return token


def gate_for(board: Board, new_thread: bool) -> PostingGate:
    mode, message = lockdown.lockdown_for(board.slug)
    if mode == "readonly":
        return PostingGate(closed=message)
    if captcha_required(board, new_thread, mode) and current_pass() is None:
        return PostingGate(challenge=current_challenge())
    return PostingGate()


def page_gate() -> PostingGate | None:
    """The gate of the post form on this page (None on pages without a form), memoised."""
    new_thread = FORM_ENDPOINTS.get(request.endpoint or "")
    board = current_app.config["BOARDS"].get((request.view_args or {}).get("board", ""))
    if new_thread is None or board is None:
        return None
    if "posting_gate" not in g:
        g.posting_gate = gate_for(board, new_thread)
    return g.posting_gate


def _grant_pass() -> str:
    g.new_pass = captcha.new_pass(_secret())
    return captcha.read_pass(_secret(), g.new_pass)


def _attempt(board: Board, thread_no: int | None, body: str, poster_token: str,
             vouched: bool) -> flood.Attempt:
    secret = _secret()
    return flood.Attempt(board=board.slug, thread_no=thread_no,
                         poster=flood.poster_key(secret, poster_token),
                         body_digest=flood.body_digest(secret, board.slug, body),
                         vouched=vouched)


def posting_guard(board: Board, thread_no: int | None, body: str, poster_token: str,
                  answer: tuple[str, str]) -> Callable[[str], None]:
    """Check lockdown, captcha and flood limits before a post; returns the in-transaction guard.

    `poster_token` is the token the post is made with (from the cookie, or new: a new one
    has no history, so it gets the strict newcomer limit); `answer` is (challenge token,
    typed answer) from the form. Raises posts.PostError or one of REFUSALS.
    """
    mode, message = lockdown.lockdown_for(board.slug)
    if mode == "readonly":
        raise posts.PostError(message, 403)
    pass_id = current_pass()
    if pass_id is None and captcha_required(board, thread_no is None, mode):
        if not answer[0]:
            raise captcha.CaptchaError("This post needs a captcha: type the characters in "
                                       "the picture.")
        captcha.solve(_secret(), answer[0], answer[1])
        pass_id = _grant_pass()
    limits = current_app.config.get("FLOOD_LIMITS") or flood.FloodLimits()
    flood_on = current_app.config["LEFTBOOK_FLOOD"] != "off"
    if flood_on:
        flood.check(_attempt(board, thread_no, posts.clean_text(body), poster_token,
                             pass_id is not None),
                    limits)

    def guard(stored_body: str) -> None:
        if pass_id is not None:
            captcha.use_pass(pass_id)
        if flood_on:
            flood.admit(_attempt(board, thread_no, stored_body, poster_token, pass_id is not None),
                        limits)

    return guard


def refusal(exc: Exception) -> Response:
    """The 4xx answer to a refused post: Retry-After on rates, a fresh captcha when asked."""
    if isinstance(exc, flood.Refused):
        flood.note_refusal(exc)
        message = exc.message if wants_json() else (
            f"{exc.message} Then go back and send it again: your text is still in the form.")
        response = make_response(error_response(exc.status, message))
        if exc.status == 429:
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if wants_json():
        return make_response(error_response(exc.status, exc.message))
    page = render_template(
        "captcha_solve.html", title="Captcha needed",
        gate=PostingGate(challenge=current_challenge()),
        csrf_token=generate_csrf(),
        message=f"{exc.message} Solving it gives you a pass for a few posts: then go back "
                "and send your post again (your text is still in the form).")
    return make_response(page, exc.status)


@blueprint.after_app_request
def _set_pass_cookie(response: Response) -> Response:
    if "new_pass" in g:
        response.set_cookie(PASS_COOKIE, g.new_pass, **cookie_options(captcha.PASS_SECONDS))
    return response


@blueprint.get("/captcha/<token>.png")
def image(token: str) -> Response:
    challenge = captcha.read_challenge(_secret(), token)
    if challenge is None:
        abort(404, "This captcha has expired: reload the page for a new one.")
    response = make_response(captcha.render_image(captcha.answer_for(_secret(), challenge.id)))
    response.headers["Content-Type"] = "image/png"
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.post("/captcha/solve")
def solve() -> Response:
    """Solve a captcha on its own (after a refusal); grants the pass cookie."""
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        abort(400, "The security token is missing or expired: reload the page.")
    try:
        captcha.solve(_secret(), request.form.get("captcha_challenge", ""),
                      request.form.get("captcha_answer", "")[:32])
    except captcha.CaptchaError as exc:
        return refusal(exc)
    _grant_pass()
    page = render_template(
        "captcha_solve.html", title="Captcha solved", gate=None,
        message=f"You may now post {captcha.PASS_POSTS} times in the next "
                f"{captcha.PASS_SECONDS // 60} minutes. Go back and send your post again.")
    return make_response(page, 200)

