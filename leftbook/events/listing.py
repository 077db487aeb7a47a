"""The order of an event board: upcoming events soonest first, then the ones happening today,
then past events apart (the most recently ended first), then any thread without an event
(from before the board took events) in bump order. Stickies stay on top, as everywhere.

A thread falls off the board's last page in the reverse of that order: threads without an
event first, then the events that ended longest ago, and so on. Past events are also pruned
`past_event_ttl` after they are over (see `leftbook.retention.threads`).

An event is *upcoming* while it starts after the site's date (UTC), *today* from then until
it is over everywhere (`leftbook.events.fields.over_at`), then *past*. Both boundaries fall
on UTC midnight or noon, so a listing stays the same within each `period`: page caches and
ETags of event boards are keyed by it as well as by the board's version.
"""

from datetime import timedelta

from peewee import Case

from leftbook.database.models import Thread
from leftbook.events.fields import today

UPCOMING, TODAY, PAST = "upcoming", "today", "past"
HEADINGS = {UPCOMING: "Upcoming events", TODAY: "Happening today", PAST: "Past events",
            None: "Other threads"}
PERIOD_SECONDS = 12 * 3600


def period(now: int) -> int:
    """Which half-day `now` is in: no event changes state within one."""
    return now // PERIOD_SECONDS


def _tomorrow(now: int) -> str:
    return (today(now) + timedelta(days=1)).isoformat()


def state(event_start: str | None, event_until: int | None, now: int) -> str | None:
    """UPCOMING, TODAY or PAST for an event thread; None for a thread without an event."""
    if event_start is None or event_until is None:
        return None
    if now >= event_until:
        return PAST
    return UPCOMING if event_start >= _tomorrow(now) else TODAY


def _keys(now: int) -> tuple:
    """(group, start within upcoming and today, end within past), as SQL expressions."""
    group = Case(None, [(Thread.event_until.is_null(), 3), (Thread.event_until <= now, 2),
                        (Thread.event_start >= _tomorrow(now), 0)], 1)
    start = Case(None, [(Thread.event_until > now, Thread.event_start)], None)
    ended = Case(None, [(Thread.event_until <= now, Thread.event_until)], 0)
    return group, start, ended


def display_order(now: int) -> list:
    """ORDER BY terms for an event board's index pages and catalog."""
    group, start, ended = _keys(now)
    return [Thread.sticky.desc(), group.asc(), start.asc(), ended.desc(), Thread.bumped.desc(),
            Thread.no.desc()]


def fall_off_order(now: int) -> list:
    """ORDER BY terms, first to go first: `display_order` reversed (stickies aside)."""
    group, start, ended = _keys(now)
    return [group.desc(), start.desc(), ended.asc(), Thread.bumped.asc(), Thread.no.asc()]
