"""The posting gate as a browser meets it: the challenge kept in its session, the pass in
its cookie. The decisions are the domain's (`leftbook.posting.gate`)."""

from dataclasses import dataclass

from flask import Flask, Response, g, request, session

from leftbook import clock
from leftbook.abuse import captcha
from leftbook.boards import Board
from leftbook.posting import gate
from leftbook.reading import pages
from leftbook.web.cookies import PASS_COOKIE, cookie_options
from leftbook.web.site import boards, gate_policy, secrets

SESSION_KEY = "captcha"
FRESH_ENOUGH = 120  # a challenge shown in a form has at least this many seconds left
FORM_ENDPOINTS = {"boards.index": True, "boards.catalog": True,
                  "boards.thread": False}  # endpoint -> new thread?


@dataclass(frozen=True)
class PageGate:
    """What the post form on a page shows: a closed notice, or a challenge token, or neither."""

    closed: str | None = None
    challenge: str | None = None

    @property
    def state(self) -> tuple[str, str]:
        return (self.closed or "", self.challenge or "")


def current_challenge() -> str:
    """The challenge this browser is shown, kept in its session until used or nearly expired."""
    secret = secrets().secret_key
    token = session.get(SESSION_KEY, "")
    challenge = captcha.read_challenge(secret, token) if token else None
    if (challenge is None or challenge.expires - FRESH_ENOUGH < clock.now()
            or captcha.is_used(challenge.id)):
        token = captcha.new_challenge(secret)
        session[SESSION_KEY] = token
    return token


def page_gate() -> PageGate | None:
    """The gate of the post form on this page (None on pages without a form), memoised."""
    new_thread = FORM_ENDPOINTS.get(request.endpoint or "")
    board = boards().get((request.view_args or {}).get("board", ""))
    if new_thread is None or board is None:
        return None
    if "posting_gate" not in g:
        shown = gate.form_gate(board, new_thread, request.cookies.get(PASS_COOKIE),
                               gate_policy(), g.get("gate_settings"))
        g.posting_gate = PageGate(
            closed=shown.closed, challenge=current_challenge() if shown.needs_captcha else None)
    return g.posting_gate


def board_page_version(board: Board) -> tuple[int, ...]:
    """What a page of `board` is made from (`pages.listing_version`), read in the same
    round trip as the post form's gate settings, which `page_gate` then uses (the fast
    path reads them alike)."""
    version, found = pages.board_state(board.slug, gate.setting_keys(board.slug))
    g.gate_settings = found
    return pages.listing_version(board, version)


def keep_new_pass(ticket: gate.Ticket) -> None:
    """Send a newly granted pass cookie with this response, whatever it turns out to be."""
    if ticket.new_pass:
        g.new_pass = ticket.new_pass


def pass_cookie() -> str | None:
    return request.cookies.get(PASS_COOKIE)


def init_app(app: Flask) -> None:
    @app.after_request
    def _set_pass_cookie(response: Response) -> Response:
        if "new_pass" in g:
            response.set_cookie(PASS_COOKIE, g.new_pass, **cookie_options(captcha.PASS_SECONDS))
        return response

