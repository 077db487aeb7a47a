"""iCalendar (RFC 5545) for event boards, written by the `icalendar` library: a board's
calendar of every event still to come or going on (a subscription: calendar apps poll it),
and one event's file.

- Times are the organisers' local times, so they are written as *floating* times (no TZID,
  no Z) and dates as `VALUE=DATE`, with an all-day event's DTEND the day after its last day.
- UIDs are `<tag>-<board>-<thread number>@leftbook`: stable for as long as the thread lives,
  and made of nothing but public numbers and `tag`, a keyed hash that tells one site's
  calendar apart from another's (it reveals nothing of the key, the poster or the time).
- DTSTAMP is the opening post's time, so the files change only when the events do.
- Links are absolute, to this site (the thread) and to the organisers' page (URL).
"""

import hashlib
import hmac
from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar, Event
from peewee import JOIN

from leftbook.boards import Board
from leftbook.database.models import File, Post, Thread
from leftbook.events.fields import parse_when
from leftbook.posting.markup import plain_text

PRODID = "-//Leftbook//Event threads//EN"
REFRESH = timedelta(hours=6)  # how often subscribed calendar apps are asked to poll
REFRESH_TEXT = "PT6H"  # the same, for X-PUBLISHED-TTL (which the library takes as text)
SUMMARY_CHARS = 80
TAG_PURPOSE = b"leftbook calendar uid tag"


def uid_tag(secret: bytes) -> str:
    """A short keyed hash naming this site in UIDs (the same for as long as its secret)."""
    return hmac.new(secret, TAG_PURPOSE, hashlib.sha256).hexdigest()[:16]


def event_uid(tag: str, board: str, no: int) -> str:
    return f"{tag}-{board}-{no}@leftbook"


def _summary(post: Post) -> str:
    if post.subject:
        return post.subject
    text = plain_text(post.html)
    return text[:SUMMARY_CHARS - 1] + "…" if len(text) > SUMMARY_CHARS else text or f"No.{post.no}"


def _times(start: str, end: str | None) -> tuple[date | datetime, date | datetime | None]:
    """(DTSTART, DTEND or None) of one event; DTEND has DTSTART's value type, as RFC 5545
    requires, and is exclusive (an all-day event ends the day after its last day)."""
    begins, ends = parse_when(start), parse_when(end) if end else None
    if begins is None:
        raise ValueError(f"stored event start {start!r} is not a date")
    if begins.at is None:
        last_day = ends.day if ends else begins.day
        return begins.day, last_day + timedelta(days=1)
    if ends is None:
        return begins.local(), None
    if ends.at is None:
        return begins.local(), datetime.combine(ends.day + timedelta(days=1), datetime.min.time())
    return begins.local(), ends.local()


def _event(post: Post, root: str, tag: str) -> Event:
    page = f"{root}/{post.board}/res/{post.thread_no}.html"
    event = Event()
    event.add("uid", event_uid(tag, post.board, post.no))
    event.add("dtstamp", datetime.fromtimestamp(post.time, UTC))
    dtstart, dtend = _times(post.event_start, post.event_end)
    event.add("dtstart", dtstart)
    if dtend is not None:
        event.add("dtend", dtend)
    event.add("summary", _summary(post))
    event.add("location", post.event_place or "")
    event.add("url", post.event_link or page)
    text = plain_text(post.html)
    event.add("description", f"{text}\n\n{page}" if text else page)
    event.add("class", "PUBLIC")
    event.add("transp", "TRANSPARENT")
    return event


def _calendar(board: Board, name: str, source: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("description", board.description)
    calendar.add("source", source, parameters={"VALUE": "URI"})
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH_TEXT)
    return calendar


def _opening_posts():
    return Post.select(Post, File).join(File, JOIN.LEFT_OUTER).switch(Post).join(
        Thread, on=(Post.thread == Thread.id)).where(Post.no == Thread.no)


def board_calendar(board: Board, root: str, self_path: str, tag: str, now: int) -> str:
    """Every event of `board` that is still to come or going on, soonest first."""
    posts = (_opening_posts()
             .where(Thread.board == board.slug, Thread.event_until > now)
             .order_by(Thread.event_start, Thread.no).limit(board.capacity))
    calendar = _calendar(board, f"/{board.slug}/ \u2013 {board.title}", root + self_path)
    for post in posts:
        calendar.add_component(_event(post, root, tag))
    return calendar.to_ical().decode("utf-8")


def thread_calendar(board: Board, thread: Thread, root: str, self_path: str,
                    tag: str) -> str | None:
    """The one event a thread announces; None when it announces none."""
    post = _opening_posts().where(Thread.id == thread.id).get_or_none()
    if post is None or not post.event_start:
        return None
    calendar = _calendar(board, f"/{board.slug}/ \u2013 {_summary(post)}", root + self_path)
    calendar.add_component(_event(post, root, tag))
    return calendar.to_ical().decode("utf-8")
