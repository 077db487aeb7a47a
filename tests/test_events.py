"""Event threads: what an event board asks for, what it refuses, what it stores and shows.

The clock is frozen at T0 = Friday 2027-01-15 08:00 UTC unless a test moves it.
"""

from datetime import date

import pytest

from leftbook.boards import load_boards
from leftbook.database.models import Post, Thread
from leftbook.events import fields
from leftbook.refusal import Refusal
from tests.test_boards import MINIMAL, SHIPPED, write_board

T0 = 1_800_000_000  # 2027-01-15 08:00 UTC
HOUR, DAY = 3600, 86400
ONION = "http://" + "a" * 56 + ".onion/mayday"


@pytest.fixture(autouse=True)
def at_t0(frozen_clock):
    frozen_clock(T0)
    return frozen_clock


def refused(post, **fields_sent) -> str:
    sent = {"body": "Come along.", "event_start": "2027-02-01", "event_place": "Lisbon",
            "event_link": "https://example.org/events", **fields_sent}
    response = post("events", **sent)
    assert response.status_code == 400, response.get_data(as_text=True)
    return response.get_json()["error"]


def stored_posts(app) -> int:
    with app.app_context():
        return Post.select().count()


# ---- what is refused -------------------------------------------------------------------


@pytest.mark.parametrize("start, end, words", [
    ("", None, "when the event starts"),
    ("next saturday", None, "2026-05-01 or 2026-05-01T18:30"),
    ("01/02/2027", None, "such as"),
    ("2027-02-30", None, "such as"),
    ("2027-02-01T25:00", None, "such as"),
    ("2027-02-01T18:30:00", None, "such as"),
    ("2027-02-01", "soon", "event's end"),
    ("2027-02-03", "2027-02-01", "end is before its start"),
    ("2027-02-01T18:00", "2027-02-01T17:00", "end is before its start"),
    ("2027-01-13", None, "is over"),
    ("2027-01-01", "2027-01-13", "is over"),
    ("2028-01-16", None, "more than a year ahead"),
    ("2027-06-01", "2028-02-01", "more than a year ahead"),
])
def test_bad_dates_are_refused_with_a_clear_message(app, post, start, end, words):
    message = refused(post, event_start=start, event_end=end)
    assert words in message
    assert stored_posts(app) == 0


@pytest.mark.parametrize("link", [
    "", "example.org/events", "ftp://example.org/events", "javascript:alert(1)",
    "https://", "https:///path", "https://user:secret@example.org/", "https://me@example.org/",
    "http://127.0.0.1/events", "http://localhost/events", "https://exa mple.org/",
    "https://example.org/\nmore", "http://tooshort.onion/", "https://example.123/",
    "https://-bad-.org/", "https://example.org:0/", "https://" + "a" * 300 + ".org/",
])
def test_bad_links_are_refused(app, post, link):
    message = refused(post, event_link=link)
    assert "link" in message.lower()
    assert stored_posts(app) == 0


@pytest.mark.parametrize("place, words", [
    ("", "a city or a region"),
    ("   ", "a city or a region"),
    ("x" * 81, "too long"),
])
def test_the_place_is_a_short_line(app, post, place, words):
    assert words in refused(post, event_place=place)


def test_event_fields_are_refused_on_other_boards_and_in_replies(app, post, event_thread):
    response = post("soc", body="hi", event_start="2027-02-01")
    assert response.status_code == 400
    assert "does not take event details" in response.get_json()["error"]
    op = event_thread("2027-02-01")
    response = post("events", thread=op, body="see you", event_place="Porto")
    assert response.status_code == 400
    assert "replies do not take them" in response.get_json()["error"]
    assert post("events", thread=op, body="see you").status_code == 200


# ---- what is taken and stored ----------------------------------------------------------


@pytest.mark.parametrize("link", [
    "https://example.org/events/may-day?lang=pt#when", "http://example.org",
    ONION, "https://" + "b" * 56 + ".onion/", "https://union.example.co.uk:8443/a",
])
def test_good_links_are_taken_as_they_are(app, event_thread, link):
    op = event_thread("2027-02-01", link=link)
    with app.app_context():
        assert Post.get(Post.no == op).event_link == link


def test_stored_fields_are_normalised(app, event_thread):
    op = event_thread("2027-02-01 18:30", end="2027-02-01T21:00", place="  Porto, Portugal ")
    with app.app_context():
        stored = Post.get(Post.board == "events", Post.no == op)
        thread = Thread.get(Thread.board == "events", Thread.no == op)
    assert (stored.event_start, stored.event_end) == ("2027-02-01T18:30", "2027-02-01T21:00")
    assert stored.event_place == "Porto, Portugal"
    assert thread.event_start == "2027-02-01T18:30"
    assert thread.event_until == fields.over_at(date(2027, 2, 1))


@pytest.mark.parametrize("start, end", [
    ("2027-01-15", None),  # today
    ("2027-01-15T06:00", None),  # earlier today (UTC): still today where it happens
    ("2027-01-10", "2027-01-20"),  # going on
    ("2028-01-15", None),  # exactly a year ahead
])
def test_today_ongoing_and_a_year_ahead_are_taken(event_thread, start, end):
    assert event_thread(start, end=end)


def test_yesterday_is_taken_until_it_has_ended_everywhere(post, event_thread, at_t0):
    at_t0(T0 - 8 * HOUR + DAY + 11 * HOUR)  # 2027-01-16 11:00 UTC: still the 15th in UTC-12
    assert event_thread("2027-01-15")
    at_t0(T0 - 8 * HOUR + DAY + 12 * HOUR)  # noon UTC: the 15th is over everywhere
    assert "is over" in refused(post, event_start="2027-01-15")


def test_over_at_is_noon_utc_after_the_last_day():
    assert fields.over_at(date(2027, 1, 15)) == T0 - 8 * HOUR + DAY + 12 * HOUR


@pytest.mark.parametrize("start, end, shown", [
    ("2027-05-01", None, "Sat 1 May 2027"),
    ("2027-05-01T18:30", None, "Sat 1 May 2027, 18:30"),
    ("2027-05-01T18:30", "2027-05-01T21:00", "Sat 1 May 2027, 18:30 \u2013 21:00"),
    ("2027-05-01", "2027-05-03", "Sat 1 May 2027 \u2013 Mon 3 May 2027"),
    ("2027-05-01T10:00", "2027-05-02T02:00", "Sat 1 May 2027, 10:00 \u2013 Sun 2 May 2027, 02:00"),
])
def test_dates_are_described_for_people(start, end, shown):
    assert fields.describe(start, end) == shown


def test_checked_event_is_none_on_ordinary_boards_and_replies():
    assert fields.checked_event(False, True, "", "", "", "", T0) is None
    assert fields.checked_event(True, False, " ", "", "", "", T0) is None
    with pytest.raises(Refusal):
        fields.checked_event(True, True, "", "", "Lisbon", "https://example.org/", T0)


# ---- what pages show -------------------------------------------------------------------


def test_the_form_asks_for_the_event_only_where_it_belongs(client, event_thread):
    board = client.get("/events/").get_data(as_text=True)
    for name in ("event_start", "event_end", "event_place", "event_link"):
        assert f'name="{name}"' in board
    assert 'name="event_start" required' in board and 'name="event_link" type="url"' in board
    assert "event_start" not in client.get("/soc/").get_data(as_text=True)
    op = event_thread("2027-02-01")
    assert "event_start" not in client.get(f"/events/res/{op}.html").get_data(as_text=True)


def test_pages_show_date_place_and_link_prominently(client, event_thread):
    op = event_thread("2027-02-06T14:00", end="2027-02-06T18:00", place="Braga",
                      link="https://example.org/march", subject="Housing march",
                      body="Bring banners.")
    for path in (f"/events/res/{op}.html", "/events/"):
        page = client.get(path).get_data(as_text=True)
        box = page[page.index('<div class="event">'):page.index('<div class="body">')]
        assert "Sat 6 Feb 2027, 14:00 \u2013 18:00" in box and 'datetime="2027-02-06T14:00"' in box
        assert "Braga" in box
        assert 'href="https://example.org/march" rel="noreferrer noopener nofollow"' in box
        assert f'href="/events/res/{op}.ics"' in box
        assert "Bring banners." in page
    catalog = client.get("/events/catalog.html").get_data(as_text=True)
    assert "Sat 6 Feb 2027, 14:00 \u2013 18:00 &middot; Braga" in catalog
    assert 'href="/events/calendar.ics"' in client.get("/events/").get_data(as_text=True)


def test_the_api_gives_the_event_in_the_opening_post(client, post, event_thread):
    op = event_thread("2027-02-01T18:30", end="2027-02-02", place="Coimbra", link=ONION)
    post("events", thread=op, body="a reply")
    expected = {"event_start": "2027-02-01T18:30", "event_end": "2027-02-02",
                "event_place": "Coimbra", "event_link": ONION}
    first, reply = client.get(f"/events/res/{op}.json").get_json()["posts"]
    assert {k: first[k] for k in expected} == expected
    assert not any(key.startswith("event_") for key in reply)
    catalog_op = client.get("/events/catalog.json").get_json()[0]["threads"][0]
    assert {k: catalog_op[k] for k in expected} == expected
    page_op = client.get("/events/0.json").get_json()["threads"][0]["posts"][0]
    assert {k: page_op[k] for k in expected} == expected
    no_end = event_thread("2027-03-01")
    posts = client.get(f"/events/res/{no_end}.json").get_json()["posts"]
    assert posts[0]["event_start"] == "2027-03-01" and "event_end" not in posts[0]


def test_the_atom_feed_carries_the_dates(client, event_thread):
    event_thread("2027-02-06T14:00", place="Braga", subject="Housing march")
    feed = client.get("/events/index.atom").get_data(as_text=True)
    assert "<title>Sat 6 Feb 2027, 14:00 · Housing march</title>" in feed
    assert "Sat 6 Feb 2027, 14:00 · Braga · https://example.org/events" in feed


# ---- the board files -------------------------------------------------------------------


def test_the_shipped_events_board_takes_events_and_says_what_it_is_for():
    events = load_boards(SHIPPED)["events"]
    assert events.events and events.past_event_ttl == 7 * DAY
    rules = " ".join(events.rules).lower()
    assert "existing, public events only" in rules
    assert "never organise here" in rules
    assert "never post who is going" in rules
    assert not any(board.events for slug, board in load_boards(SHIPPED).items()
                   if slug != "events")


def test_board_files_take_the_event_flag_and_retention(tmp_path):
    write_board(tmp_path, "a.toml", MINIMAL.format(slug="a") + """
events = true
[limits]
past_event_ttl = "3d"
""")
    board = load_boards(tmp_path)["a"]
    assert board.events and board.past_event_ttl == 3 * DAY


@pytest.mark.parametrize("extra, field", [
    ('events = "yes"\n', "events"),
    ('[limits]\npast_event_ttl = "soon"\n', "limits.past_event_ttl"),
    ("[limits]\npast_event_ttl = 0\n", "limits.past_event_ttl"),
])
def test_bad_event_settings_name_the_field(tmp_path, extra, field):
    from leftbook.boards import BoardFileError

    write_board(tmp_path, "a.toml", MINIMAL.format(slug="a") + extra)
    with pytest.raises(BoardFileError, match=field.replace(".", r"\.")):
        load_boards(tmp_path)
