"""A refused post comes back as the form, filled with everything that was sent (files
excepted: browsers cannot be handed them back), the reason above it, and a captcha inline
when one is needed, so that one more submit posts it. Nothing was stored."""

from flask import render_template, request

from leftbook.boards import Board
from leftbook.posting import gate
from leftbook.refusal import Refusal
from leftbook.web.formcookie import PUBLIC_FORM_TOKEN
from leftbook.web.gate import PageGate, current_challenge, pass_cookie
from leftbook.web.site import gate_policy

SENT_FIELDS = ("name", "options", "subject", "body", "event_start", "event_end",
               "event_place", "event_link")


def _sent() -> dict:
    """What the person typed, as the form will show it again (never the password)."""
    form = request.form
    sent = {field: form.get(field, "")[:20_000] for field in SENT_FIELDS}
    sent["spoiler"] = bool(form.get("spoiler"))
    sent["confirm_personal"] = bool(form.get("confirm_personal"))
    sent["had_file"] = any(upload.filename for upload in request.files.getlist("file"))
    return sent


def _thread_no() -> int | None:
    value = request.form.get("thread", "")
    return int(value) if value.isdigit() and len(value) <= 15 else None


def refused_post_page(board: Board, refusal: Refusal, *, form_read: bool = True):
    """The page answering a refused post in HTML, with the refusal's status. Without
    `form_read` (the request was past the hard cap) the form comes back empty."""
    thread_no = _thread_no() if form_read else None
    shown = gate.form_gate(board, thread_no is None, pass_cookie(), gate_policy())
    needs_captcha = refusal.captcha or shown.needs_captcha
    page = render_template(
        "post_refused.html", board=board, thread_no=thread_no, refusal=refusal.message,
        refusal_extra=refusal.extra, refill=_sent() if form_read else {},
        csrf_token=PUBLIC_FORM_TOKEN,
        posting_gate=PageGate(closed=shown.closed,
                              challenge=current_challenge() if needs_captcha else None))
    retry_after = refusal.extra.get("retry_after")
    headers = {"Retry-After": str(retry_after)} if retry_after and refusal.status in (429, 503) \
        else {}
    return page, refusal.status, headers
