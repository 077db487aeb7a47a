"""iCalendar files of event boards (built in `leftbook.events.calendar`): a board's calendar,
which calendar apps can subscribe to, and one event's file. Both answer 304 to a reader whose
copy is current, like every page."""

from flask import Blueprint, Response, abort, request

from leftbook import clock
from leftbook.events import calendar
from leftbook.reading import pages
from leftbook.web.http import board_conditional
from leftbook.web.site import get_board, secrets

blueprint = Blueprint("calendars", __name__)

CALENDAR_TYPE = "text/calendar"


def _event_board(slug: str):
    board = get_board(slug)
    if not board.events:
        abort(404, "This board is not an event board: it has no calendar.")
    return board


def _answer(board, kind: tuple, render, filename: str) -> Response:
    response = board_conditional(board, (*kind, request.host_url), render, CALENDAR_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@blueprint.get("/<board>/calendar.ics")
def board_calendar(board: str) -> Response:
    b = _event_board(board)
    root, tag = request.host_url.rstrip("/"), calendar.uid_tag(secrets().secret_key)
    return _answer(b, ("calendar.ics",), lambda: calendar.board_calendar(
        b, root, request.path, tag, clock.now()), f"{b.slug}.ics")


@blueprint.get("/<board>/res/<number:no>.ics")
def thread_calendar(board: str, no: int) -> Response:
    b = _event_board(board)
    thread = pages.existing_thread(b, no)
    if thread.event_start is None:
        abort(404, "This thread announces no event.")
    root, tag = request.host_url.rstrip("/"), calendar.uid_tag(secrets().secret_key)

    def render() -> str:
        text = calendar.thread_calendar(b, thread, root, request.path, tag)
        if text is None:  # deleted since it was looked up
            abort(404, "This thread announces no event.")
        return text

    return _answer(b, ("thread.ics", no), render, f"{b.slug}-{no}.ics")
