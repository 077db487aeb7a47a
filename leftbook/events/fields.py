"""What an event thread announces, checked before it is stored.

- `event_start`: a date `YYYY-MM-DD`, optionally with a time `YYYY-MM-DDTHH:MM` (a space for
  the `T` is taken too). Times are the organisers' local times: no time zone is guessed,
  asked for or stored, and iCalendar carries them as "floating" local times.
- `event_end`: optional, in the same forms, not before the start.
- `event_place`: a city or region, one short line.
- `event_link`: the organisers' own public page: an http or https URL (onion addresses too).

The site's dates are UTC dates. An event is *over* when its last day has ended everywhere on
Earth (12 h after that day ends in UTC, the last time zone being UTC-12), so no organiser's
"today" is ever called past; `over_at` gives that second, which orders and prunes the thread.
An event that is already over, or that starts or ends more than a year ahead, is refused.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit

from leftbook.database.models import MAX_EVENT_LINK, MAX_EVENT_PLACE
from leftbook.posting.text import clean_text
from leftbook.refusal import Refusal

DAY = 86400
LAST_TIME_ZONE = 12 * 3600  # UTC-12 ends a day 12 h after UTC does
MAX_DAYS_AHEAD = 365
WHEN = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?")
HOST_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
ONION_V3 = re.compile(r"[a-z2-7]{56}")
EXAMPLE = "2026-05-01 or 2026-05-01T18:30"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

NOT_HERE = "This board does not take event details; post them on an event board."
NOT_IN_REPLIES = "Event details go in the opening post of a thread; replies do not take them."


@dataclass(frozen=True)
class When:
    """A local date, with a time of day or without."""

    day: date
    at: time | None = None

    def iso(self) -> str:
        return self.day.isoformat() + (f"T{self.at:%H:%M}" if self.at else "")

    def local(self) -> date | datetime:
        """The value iCalendar takes: a date, or a floating (zone-less) date-time."""
        return datetime.combine(self.day, self.at) if self.at else self.day


@dataclass(frozen=True)
class EventFields:
    """A checked event: normalised strings as stored and as the API gives them."""

    start: str
    end: str | None
    place: str
    link: str
    until: int  # the Unix second when the event is over everywhere (see `over_at`)


def parse_when(text: str) -> When | None:
    """`YYYY-MM-DD` or `YYYY-MM-DDTHH:MM` as a When; None when it is neither or no real date."""
    match = WHEN.fullmatch(text.strip())
    if not match:
        return None
    year, month, day, hour, minute = match.groups()
    try:
        return When(date(int(year), int(month), int(day)),
                    time(int(hour), int(minute)) if hour is not None else None)
    except ValueError:
        return None


def today(now: int) -> date:
    """The site's date (UTC)."""
    return datetime.fromtimestamp(now, UTC).date()


def over_at(last_day: date) -> int:
    """The Unix second when `last_day` has ended in every time zone."""
    midnight = datetime.combine(last_day + timedelta(days=1), time(), UTC)
    return int(midnight.timestamp()) + LAST_TIME_ZONE


def _when(text: str, label: str) -> When:
    when = parse_when(text)
    if when is None:
        raise Refusal(f"The event's {label} must be a date, or a date and a local time, "
                      f"such as {EXAMPLE} (got {text.strip()[:40]!r}).")
    return when


def _check_dates(start: When, end: When | None, now: int) -> int:
    """Refuse an end before the start, an event already over, or one more than a year
    ahead; returns when the event is over."""
    if end is not None and (end.day < start.day or (
            end.day == start.day and start.at and end.at and end.at < start.at)):
        raise Refusal("The event's end is before its start.")
    last_day = (end or start).day
    until = over_at(last_day)
    if now >= until:
        raise Refusal(f"This event is over (its last day was {last_day.isoformat()}): "
                      "only events that are still to come, or still going on, are posted here.")
    horizon = today(now) + timedelta(days=MAX_DAYS_AHEAD)
    if start.day > horizon or last_day > horizon:
        raise Refusal(f"This event is more than a year ahead (after {horizon.isoformat()}): "
                      "post it when it is less than a year away.")
    return until


def checked_place(text: str) -> str:
    place = " ".join(clean_text(text).split())
    if not place:
        raise Refusal("Say where the event is: a city or a region (e.g. \"Lisbon\").")
    if len(place) > MAX_EVENT_PLACE:
        raise Refusal(f"The event's place is too long (at most {MAX_EVENT_PLACE} characters): "
                      "a city or a region is enough.")
    return place


def _host_ok(host: str) -> bool:
    labels = host.split(".")
    if len(labels) < 2 or not all(HOST_LABEL.fullmatch(label) for label in labels):
        return False
    if labels[-1] == "onion":
        return len(labels) >= 2 and bool(ONION_V3.fullmatch(labels[-2]))
    return labels[-1].isalpha()  # a name, not an IP address


def checked_link(text: str) -> str:
    """The organisers' public page: http(s), a host name (onion v3 included), no password."""
    link = text.strip()
    if not link:
        raise Refusal("Link the organisers' own public page about the event (http, https "
                      "or onion address).")
    refusal = Refusal("The event's link must be the address of a public web page, starting "
                      "with http:// or https:// (onion addresses too), without spaces or a "
                      "user name.")
    if len(link) > MAX_EVENT_LINK:
        raise Refusal(f"The event's link is too long (at most {MAX_EVENT_LINK} characters).")
    if not link.isprintable() or any(c.isspace() for c in link):
        raise refusal
    try:
        parts = urlsplit(link)
        host = (parts.hostname or "").rstrip(".")
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        raise refusal from None
    if (parts.scheme.lower() not in ("http", "https") or not _host_ok(host) or not port_ok
            or parts.username is not None or parts.password is not None):
        raise refusal
    return link


def checked_event(board_events: bool, new_thread: bool, start: str, end: str, place: str,
                  link: str, now: int) -> EventFields | None:
    """The event an opening post on an event board announces; None elsewhere.

    Refuses event fields where they do not belong, and anything not checked above.
    """
    sent = any(value.strip() for value in (start, end, place, link))
    if not board_events:
        if sent:
            raise Refusal(NOT_HERE)
        return None
    if not new_thread:
        if sent:
            raise Refusal(NOT_IN_REPLIES)
        return None
    if not start.strip():
        raise Refusal(f"Say when the event starts: a date, or a date and a local time, such as "
                      f"{EXAMPLE}.")
    begins = _when(start, "start")
    ends = _when(end, "end") if end.strip() else None
    until = _check_dates(begins, ends, now)
    return EventFields(start=begins.iso(), end=ends.iso() if ends else None,
                       place=checked_place(place), link=checked_link(link), until=until)


def _day(when: When) -> str:
    d = when.day
    return f"{WEEKDAYS[d.weekday()]} {d.day} {MONTHS[d.month - 1]} {d.year}"


def describe(start: str, end: str | None) -> str:
    """`Sat 1 May 2026, 18:30 - 21:00`, as pages and feeds show an event's dates."""
    begins = parse_when(start)
    if begins is None:
        return start
    text = _day(begins) + (f", {begins.at:%H:%M}" if begins.at else "")
    ends = parse_when(end) if end else None
    if ends is None:
        return text
    if ends.day == begins.day:
        return f"{text} \u2013 {ends.at:%H:%M}" if ends.at else text
    return f"{text} \u2013 {_day(ends)}" + (f", {ends.at:%H:%M}" if ends.at else "")
