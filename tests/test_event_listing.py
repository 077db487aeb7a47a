"""An event board's order (upcoming soonest first, then today, then past events apart, then
threads without an event), how it changes as time passes, and the retention of past events.

T0 = Friday 2027-01-15 08:00 UTC.
"""

import re

import pytest

from leftbook.database.models import Thread
from leftbook.events import listing
from leftbook.events.fields import over_at
from tests.test_retention import run_prune

T0 = 1_800_000_000  # 2027-01-15 08:00 UTC
HOUR, DAY = 3600, 86400
MIDNIGHT_16TH = T0 + 16 * HOUR
THREAD_ID = re.compile(r'<section class="thread" id="t(\d+)">')
CELL = re.compile(r'<a class="cell" href="/events/res/(\d+)\.html">')
HEADING = re.compile(r'<h2 class="eventgroup">([^<]+)</h2>')


@pytest.fixture
def board(app, frozen_clock, event_thread, board_settings, new_thread):
    """Every kind of thread an event board holds, made at the times they could be posted."""
    made = {}
    frozen_clock(T0 - 10 * DAY)
    made["past_06"] = event_thread("2027-01-06", subject="ended longest ago")
    made["past_12"] = event_thread("2027-01-12", subject="ended lately")
    board_settings("events", events=False)
    made["other"] = new_thread("events", body="a thread from before the board took events")
    board_settings("events", events=True)
    frozen_clock(T0)
    made["far"] = event_thread("2027-03-01")
    made["soon_evening"] = event_thread("2027-01-20T18:00")
    made["soon_all_day"] = event_thread("2027-01-20")
    made["tonight"] = event_thread("2027-01-15T19:00")
    made["going_on"] = event_thread("2027-01-10", end="2027-01-20")
    return made


ORDER = ["soon_all_day", "soon_evening", "far", "going_on", "tonight", "past_12", "past_06",
         "other"]
HEADINGS = ["Upcoming events", "Happening today", "Past events", "Other threads"]


def names(board: dict, numbers) -> list[str]:
    by_no = {no: name for name, no in board.items()}
    return [by_no[int(n)] for n in numbers]


def test_index_lists_upcoming_then_today_then_past_then_others(client, board, post):
    post("events", thread=board["far"], body="bumping changes nothing here")
    page = client.get("/events/").get_data(as_text=True)
    assert names(board, THREAD_ID.findall(page)) == ORDER
    assert HEADING.findall(page) == HEADINGS
    catalog = client.get("/events/catalog.html").get_data(as_text=True)
    assert names(board, CELL.findall(catalog)) == ORDER
    assert HEADING.findall(catalog) == HEADINGS


def test_the_api_lists_in_the_same_order(client, board):
    catalog = client.get("/events/catalog.json").get_json()
    assert names(board, [t["no"] for t in catalog[0]["threads"]]) == ORDER
    threads = client.get("/events/threads.json").get_json()
    assert names(board, [t["no"] for t in threads[0]["threads"]]) == ORDER
    page = client.get("/events/0.json").get_json()
    assert names(board, [t["posts"][0]["no"] for t in page["threads"]]) == ORDER


def test_pages_split_the_same_order(client, board, board_settings):
    board_settings("events", threads_per_page=3)
    seen = []
    for path in ("/events/", "/events/2.html", "/events/3.html"):
        html = client.get(path).get_data(as_text=True)
        seen += names(board, THREAD_ID.findall(html))
        assert HEADING.findall(html), "each page says which group it starts in"
    assert seen == ORDER


def test_stickies_stay_on_top(app, client, board):
    with app.app_context():
        Thread.update(sticky=True).where(Thread.no == board["past_06"]).execute()
    page = client.get("/events/").get_data(as_text=True)
    assert names(board, THREAD_ID.findall(page))[0] == "past_06"


def test_events_move_to_today_and_past_as_time_passes_without_any_post(client, board,
                                                                       frozen_clock):
    first = client.get("/events/")
    etag = first.headers["ETag"]
    frozen_clock(MIDNIGHT_16TH + 12 * HOUR)  # noon: the 15th is over everywhere
    later = client.get("/events/", headers={"If-None-Match": etag})
    assert later.status_code == 200 and later.headers["ETag"] != etag
    assert names(board, THREAD_ID.findall(later.get_data(as_text=True))) == [
        "soon_all_day", "soon_evening", "far", "going_on", "tonight", "past_12", "past_06",
        "other"]
    assert "Happening today" in later.get_data(as_text=True)
    today = later.get_data(as_text=True).split("Happening today")[1].split("Past events")
    assert f'id="t{board["tonight"]}"' in today[1], "tonight's event is past now"
    frozen_clock(over_at_day(20) - 1)  # the 20th, late: both events of the 20th are today
    page = client.get("/events/").get_data(as_text=True)
    assert names(board, THREAD_ID.findall(page)) == [
        "far", "going_on", "soon_all_day", "soon_evening", "tonight", "past_12", "past_06",
        "other"]
    assert HEADING.findall(page) == HEADINGS
    catalog = client.get("/events/catalog.json").get_json()[0]["threads"]
    assert names(board, [t["no"] for t in catalog])[:2] == ["far", "going_on"]


def over_at_day(day: int) -> int:
    from datetime import date

    return over_at(date(2027, 1, day))


@pytest.mark.parametrize("start, until_offset, now_offset, expected", [
    ("2027-01-16", 2 * DAY, 0, listing.UPCOMING),
    ("2027-01-15", DAY, 0, listing.TODAY),
    ("2027-01-15T23:00", DAY, 0, listing.TODAY),
    ("2027-01-14", 0, 0, listing.PAST),
    ("2027-01-14", 1, 0, listing.TODAY),
])
def test_state_of_one_event(start, until_offset, now_offset, expected):
    assert listing.state(start, T0 + until_offset, T0 + now_offset) == expected
    assert listing.state(None, None, T0) is None


def test_a_listing_never_changes_state_within_one_period():
    """Every boundary (UTC midnight, the noon after a last day) starts a new period."""
    assert over_at_day(15) % listing.PERIOD_SECONDS == 0
    assert (MIDNIGHT_16TH) % listing.PERIOD_SECONDS == 0


# ---- retention -------------------------------------------------------------------------


def event_threads(app) -> set[int]:
    with app.app_context():
        return {t.no for t in Thread.select().where(Thread.board == "events")}


def test_past_events_are_pruned_past_event_ttl_after_they_end(app, event_thread, frozen_clock,
                                                              board_settings):
    board_settings("events", past_event_ttl=3 * DAY)
    ending = event_thread("2027-01-15")
    longer = event_thread("2027-01-15", end="2027-01-17")
    frozen_clock(over_at_day(15) + 3 * DAY - 1)
    assert run_prune(app)["threads"] == 0
    frozen_clock(over_at_day(15) + 3 * DAY)
    assert run_prune(app, dry_run=True)["threads"] == 1
    assert run_prune(app)["threads"] == 1
    assert event_threads(app) == {longer}
    frozen_clock(over_at_day(17) + 3 * DAY)
    assert run_prune(app)["threads"] == 1
    assert event_threads(app) == set()
    assert ending


def test_an_event_thread_lives_past_thread_ttl_until_its_event(app, event_thread, new_thread,
                                                               frozen_clock, board_settings):
    board_settings("events", events=False)
    plain = new_thread("events", body="no event")
    board_settings("events", events=True)
    far = event_thread("2027-12-01")
    frozen_clock(T0 + 60 * DAY)  # the board's thread_ttl is 30 days
    assert run_prune(app)["threads"] == 1
    assert event_threads(app) == {far}
    assert plain


def test_a_full_event_board_drops_past_events_first_then_the_furthest(app, event_thread,
                                                                       frozen_clock,
                                                                       board_settings):
    board_settings("events", pages=1, threads_per_page=3)
    frozen_clock(T0 - 10 * DAY)
    past = event_thread("2027-01-06")
    frozen_clock(T0)
    february = event_thread("2027-02-01")
    march = event_thread("2027-03-01")
    december = event_thread("2027-12-01")
    assert event_threads(app) == {february, march, december}, "the past event fell off"
    next_week = event_thread("2027-01-22")
    assert event_threads(app) == {february, march, next_week}, "then the furthest"
    november = event_thread("2027-11-01")
    assert event_threads(app) == {february, next_week, november}, "never the new thread"
    assert past
