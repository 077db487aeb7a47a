"""The posting gate: lockdown, captcha and flood control, checked before a post is made.

Plain values in (the board, the poster's token and pass cookie, the typed captcha answer,
the site's policy), a `Refusal` or a permission out; the web layer only moves cookies.
"""

from dataclasses import dataclass, field

from leftbook.abuse import captcha, flood, lockdown
from leftbook.abuse.flood import FloodLimits
from leftbook.boards import Board
from leftbook.posting.text import clean_text
from leftbook.refusal import Refusal

CAPTCHA_NEEDED = "This post needs a captcha: type the characters in the picture."


@dataclass(frozen=True)
class GatePolicy:
    """The site's settings the gate obeys, and the key its tokens are signed with."""

    secret: bytes
    captcha: str = "auto"  # "off", "always" or "auto"
    flood: bool = True
    limits: FloodLimits = field(default_factory=FloodLimits)


@dataclass(frozen=True)
class FormGate:
    """What a post form must show: a closed notice, or a captcha to solve, or neither."""

    closed: str | None = None
    needs_captcha: bool = False


@dataclass(frozen=True)
class Ticket:
    """Leave to post: the captcha pass used (if any) and a newly granted pass cookie."""

    pass_id: str | None = None
    new_pass: str | None = None


def captcha_required(board: Board, new_thread: bool, mode: str | None,
                     policy: GatePolicy, found: dict[str, str] | None = None) -> bool:
    """Whether posting here needs a solved captcha; `mode` is the lockdown in force,
    `found` the flood settings when already read."""
    if mode == "captcha" or policy.captcha == "always":
        return True
    if policy.captcha != "auto":
        return False
    return (new_thread and board.captcha == "threads") or flood.under_flood(board.slug, found)


def valid_pass(policy: GatePolicy, pass_cookie: str | None) -> str | None:
    """The pass id in a cookie when it is genuine, unexpired and not used up."""
    pass_id = captcha.read_pass(policy.secret, pass_cookie)
    return pass_id if captcha.pass_left(pass_id) > 0 else None


def setting_keys(board: str) -> list[str]:
    """The settings `form_gate` reads for `board`."""
    return lockdown.lockdown_keys(board) + flood.flood_keys(board)


def _settings(board: Board) -> dict[str, str]:
    """The lockdown and flood settings in force for `board`, in one query."""
    return lockdown.settings_in_force(setting_keys(board.slug))


def form_gate(board: Board, new_thread: bool, pass_cookie: str | None,
              policy: GatePolicy, found: dict[str, str] | None = None) -> FormGate:
    """What the post form shows; `found`: the `setting_keys` in force, when already read."""
    found = _settings(board) if found is None else found
    mode, message = lockdown.mode_in(found, board.slug)
    if mode == "readonly":
        return FormGate(closed=message)
    needs = captcha_required(board, new_thread, mode, policy, found)
    return FormGate(needs_captcha=needs and valid_pass(policy, pass_cookie) is None)


def let_in(board: Board, new_thread: bool, pass_cookie: str | None,
           answer: tuple[str, str], policy: GatePolicy) -> Ticket:
    """Lockdown and captcha: refuse, or say which pass the post uses.

    `answer` is (challenge token, typed answer) from the form; solving it grants a new pass
    (returned even when a later check refuses the post, so the poster keeps it).
    """
    found = _settings(board)
    mode, message = lockdown.mode_in(found, board.slug)
    if mode == "readonly":
        raise Refusal(message or "Posting is closed.", 403)
    pass_id = valid_pass(policy, pass_cookie)
    if pass_id is not None or not captcha_required(board, new_thread, mode, policy, found):
        return Ticket(pass_id)
    if not answer[0]:
        raise Refusal(CAPTCHA_NEEDED, captcha=True)
    captcha.solve(policy.secret, answer[0], answer[1])
    new_pass = captcha.new_pass(policy.secret)
    return Ticket(captcha.read_pass(policy.secret, new_pass), new_pass)


def _attempt(board: Board, thread_no: int | None, body: str, poster_token: str,
             ticket: Ticket, policy: GatePolicy) -> flood.Attempt:
    return flood.Attempt(board=board.slug, thread_no=thread_no,
                         poster=flood.poster_key(policy.secret, poster_token),
                         body_digest=flood.body_digest(policy.secret, board.slug, body),
                         vouched=ticket.pass_id is not None)


class Guard:
    """What `screen` gives the post: called with the stored body inside the post's write
    transaction (captcha pass use, flood admission); `file_refused()` counts a post refused
    for its file against flood control in its own short transaction."""

    def __init__(self, board: Board, thread_no: int | None, poster_token: str,
                 ticket: Ticket, policy: GatePolicy) -> None:
        self._board, self._thread_no, self._token = board, thread_no, poster_token
        self._ticket, self._policy = ticket, policy

    def _attempt(self, body: str) -> flood.Attempt:
        return _attempt(self._board, self._thread_no, body, self._token, self._ticket,
                        self._policy)

    def __call__(self, stored_body: str) -> None:
        if self._ticket.pass_id is not None:
            captcha.use_pass(self._ticket.pass_id)
        if self._policy.flood:
            flood.admit(self._attempt(stored_body), self._policy.limits)

    def file_refused(self) -> None:
        if self._policy.flood:
            flood.count_refused_file(self._attempt(""), self._policy.limits)


def screen(board: Board, thread_no: int | None, body: str, poster_token: str, ticket: Ticket,
           policy: GatePolicy) -> Guard:
    """Flood limits before the post; returns the guard `create_post` runs in its transaction.

    `poster_token` is the token the post is made with (from the cookie, or new: a new one
    has no history, so it gets the strict newcomer limit).
    """
    if policy.flood:
        flood.screen(_attempt(board, thread_no, clean_text(body), poster_token, ticket, policy),
                     policy.limits)
    return Guard(board, thread_no, poster_token, ticket, policy)
