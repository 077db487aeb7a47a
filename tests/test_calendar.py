"""iCalendar: a board's calendar and one event's file, valid for the library that wrote them
(icalendar) and for an independent parser (vobject), with floating local times, stable UIDs
that say nothing about anyone, and the headers a calendar subscription needs.

T0 = Friday 2027-01-15 08:00 UTC.
"""

import re
from datetime import date, datetime

import icalendar
import pytest
import vobject

from leftbook.events.fields import over_at

T0 = 1_800_000_000
UID = re.compile(r"[0-9a-f]{16}-events-\d+@leftbook")


@pytest.fixture(autouse=True)
def at_t0(frozen_clock):
    frozen_clock(T0)
    return frozen_clock


def fetch(client, path: str, status: int = 200, **headers):
    response = client.get(path, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)
    return response


def both_parsers(text: str) -> tuple[icalendar.Calendar, object]:
    """The calendar read back by icalendar and by vobject (which share no code)."""
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n")), "folded lines"
    return icalendar.Calendar.from_ical(text), vobject.readOne(text)


def vevents(parsed) -> list:
    return list(getattr(parsed, "vevent_list", []))


def test_board_calendar_has_every_event_still_to_come_or_going_on(client, event_thread,
                                                                  at_t0, post):
    at_t0(T0 - 10 * 86400)
    event_thread("2027-01-06", subject="over")
    at_t0(T0)
    later = event_thread("2027-03-01", subject="Spring assembly", place="Porto")
    sooner = event_thread("2027-01-20T18:00", end="2027-01-20T21:30", subject="Film night",
                          place="Lisbon", link="https://example.org/film", body="Free entry.")
    going_on = event_thread("2027-01-10", end="2027-01-18", subject="Strike week")
    post("soc", body="not an event")
    response = fetch(client, "/events/calendar.ics")
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    ours, theirs = both_parsers(response.get_data(as_text=True))
    summaries = [str(e["SUMMARY"]) for e in ours.walk("VEVENT")]
    assert summaries == ["Strike week", "Film night", "Spring assembly"]
    assert [e.summary.value for e in vevents(theirs)] == summaries
    film = next(e for e in vevents(theirs) if e.summary.value == "Film night")
    assert film.dtstart.value == datetime(2027, 1, 20, 18, 0)
    assert film.dtstart.value.tzinfo is None, "floating: the organisers' local time"
    assert film.dtend.value == datetime(2027, 1, 20, 21, 30)
    assert film.location.value == "Lisbon" and film.url.value == "https://example.org/film"
    assert "Free entry." in film.description.value
    assert f"/events/res/{sooner}.html" in film.description.value
    strike = next(e for e in ours.walk("VEVENT") if str(e["SUMMARY"]) == "Strike week")
    assert strike.decoded("DTSTART") == date(2027, 1, 10)
    assert strike.decoded("DTEND") == date(2027, 1, 19), "all day: the day after the last"
    assert ours["X-WR-CALNAME"] and ours["REFRESH-INTERVAL"]
    assert theirs.prodid.value.startswith("-//Leftbook//")
    assert later and going_on


def test_one_event_file(client, event_thread):
    op = event_thread("2027-02-06T14:00", end="2027-02-07", subject="Housing march",
                      place="Braga", link="https://example.org/march")
    response = fetch(client, f"/events/res/{op}.ics")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="events-{op}.ics"')
    ours, theirs = both_parsers(response.get_data(as_text=True))
    (event,) = ours.walk("VEVENT")
    assert event.decoded("DTSTART") == datetime(2027, 2, 6, 14, 0)
    assert event.decoded("DTEND") == datetime(2027, 2, 8, 0, 0), "same value type as DTSTART"
    (other,) = vevents(theirs)
    assert other.summary.value == "Housing march" and other.location.value == "Braga"
    assert other.uid.value == str(event["UID"])


def test_uids_are_stable_and_say_nothing_about_anyone(client, app, event_thread, post,
                                                      at_t0):
    op = event_thread("2027-02-01", name="Rosa#secret", subject="Assembly")
    first = str(icalendar.Calendar.from_ical(
        fetch(client, f"/events/res/{op}.ics").data).walk("VEVENT")[0]["UID"])
    assert UID.fullmatch(first) and first.split("-")[-1] == f"{op}@leftbook"
    assert "Rosa" not in first and str(T0) not in first
    at_t0(T0 + 3600)
    post("events", thread=op, body="a reply changes nothing")
    event_thread("2027-02-02")
    board = icalendar.Calendar.from_ical(fetch(client, "/events/calendar.ics").data)
    assert str(board.walk("VEVENT")[0]["UID"]) == first
    again = icalendar.Calendar.from_ical(
        fetch(client, f"/events/res/{op}.ics", Host="127.0.0.1:8080").data)
    assert str(again.walk("VEVENT")[0]["UID"]) == first, "whatever name the site is reached by"


def test_calendars_answer_304_and_change_when_events_pass(client, event_thread, at_t0):
    event_thread("2027-01-15")
    first = fetch(client, "/events/calendar.ics")
    etag = first.headers["ETag"]
    assert fetch(client, "/events/calendar.ics", status=304, **{"If-None-Match": etag})
    at_t0(over_at(date(2027, 1, 15)))
    later = fetch(client, "/events/calendar.ics", **{"If-None-Match": etag})
    assert later.headers["ETag"] != etag
    assert not icalendar.Calendar.from_ical(later.data).walk("VEVENT")


def test_calendars_only_where_there_are_events(client, new_thread, event_thread,
                                               board_settings):
    assert fetch(client, "/soc/calendar.ics", status=404)
    plain = new_thread("soc")
    assert fetch(client, f"/soc/res/{plain}.ics", status=404)
    assert fetch(client, "/events/res/999.ics", status=404)
    board_settings("events", events=False)
    no_event = new_thread("events")
    board_settings("events", events=True)
    assert "no event" in fetch(client, f"/events/res/{no_event}.ics", status=404).get_data(
        as_text=True)
    empty = both_parsers(fetch(client, "/events/calendar.ics").get_data(as_text=True))
    assert not empty[0].walk("VEVENT")
