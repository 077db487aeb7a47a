"""Searching under flood control: site-wide and per-reader limits, tighter under flood, shared
by every instance (FloodEvent rows), lifted with LEFTBOOK_FLOOD=off."""

from dataclasses import replace

from leftbook.abuse import flood
from leftbook.database import database, write_transaction
from leftbook.database.models import FloodEvent
from tests.test_flood import LOOSE, flood_app, submit

SEARCHES = replace(LOOSE, searches_per_minute=1000, searcher_per_minute=4,
                   search_newcomers_per_minute=3)


def search(client, q: str = "strike"):
    return client.get("/search.json", query_string={"q": q})


def test_readers_without_a_posting_token_share_the_newcomer_limit(settings, frozen_clock):
    frozen_clock(1_800_000_000)
    app = flood_app(settings, SEARCHES)
    first, second = app.test_client(), app.test_client()
    assert [search(c).status_code for c in (first, second, first)] == [200, 200, 200]
    refused = search(second)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
    assert "new visitors" in refused.get_json()["error"]
    assert search(first, "").status_code == 200, "an empty search costs nothing, counts nothing"
    assert client_page_is_429(second)
    frozen_clock(1_800_000_060)
    assert search(second).status_code == 200


def client_page_is_429(client) -> bool:
    page = client.get("/search?q=strike")
    return page.status_code == 429 and "Too many searches" in page.get_data(as_text=True)


def test_a_reader_who_posted_lately_has_a_limit_of_their_own(settings, frozen_clock):
    frozen_clock(1_800_000_000)
    app = flood_app(settings, SEARCHES)
    poster, stranger = app.test_client(), app.test_client()
    assert submit(poster).status_code == 200
    for _ in range(3):
        assert search(stranger).status_code == 200
    assert search(stranger).status_code == 429
    assert [search(poster).status_code for _ in range(5)] == [200, 200, 200, 200, 429]
    assert "from you" in search(poster).get_json()["error"]


def test_site_wide_limit_and_a_quarter_of_it_under_flood(settings, frozen_clock):
    frozen_clock(1_800_000_000)
    app = flood_app(settings, replace(SEARCHES, searches_per_minute=8,
                                      search_newcomers_per_minute=100))
    client = app.test_client()
    with app.app_context(), database.connection_context(), write_transaction():
        flood.mark_flood("site")
    assert [search(client).status_code for _ in range(3)] == [200, 200, 429]
    assert "whole site" in search(client).get_json()["error"]
    with app.app_context(), database.connection_context():
        counted = FloodEvent.select().where(FloodEvent.kind == "search").count()
    assert counted == 4  # two searches, each counted for the site and the reader


def test_flood_off_lifts_the_search_limits(client):
    assert all(search(client).status_code == 200 for _ in range(50))
