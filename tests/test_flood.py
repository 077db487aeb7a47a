"""Flood control through the real form: every limit, Retry-After, refusals that change nothing."""

import secrets
from dataclasses import replace

import pytest

from leftbook.abuse.flood import FLOOD_CAPTCHA_SECONDS, FloodLimits
from leftbook.database.models import FloodEvent, Post
from tests.helpers import LOOSE, assert_rate_refused, csrf_token, flood_app, submit


def post_count(app) -> int:
    with app.app_context():
        return Post.select().count()


@pytest.fixture
def clock_at(frozen_clock):
    frozen_clock(1_800_000_000)
    return lambda offset: frozen_clock(1_800_000_000 + offset)


def test_site_wide_posts_per_minute(settings, clock_at):
    app = flood_app(settings, replace(LOOSE, site_per_minute=3))
    client = app.test_client()
    for offset, board in ((0, "soc"), (10, "theory"), (20, "orgs")):
        clock_at(offset)
        assert submit(client, board).status_code == 200
    clock_at(30)
    assert_rate_refused(submit(client, "meta"), 30, "whole site")
    clock_at(60)
    assert submit(client, "meta").status_code == 200


def test_posts_per_minute_on_one_board(settings, clock_at):
    app = flood_app(settings, replace(LOOSE, board_per_minute=2))
    client = app.test_client()
    assert submit(client, "soc").status_code == 200
    assert submit(client, "soc").status_code == 200
    assert_rate_refused(submit(client, "soc"), 60, "/soc/")
    assert submit(client, "theory").status_code == 200


def test_replies_per_minute_in_one_thread(settings, clock_at):
    app = flood_app(settings, replace(LOOSE, thread_per_minute=2))
    client = app.test_client()
    first = submit(client).get_json()["no"]
    second = submit(client).get_json()["no"]
    assert submit(client, thread=first).status_code == 200
    assert submit(client, thread=first).status_code == 200
    assert_rate_refused(submit(client, thread=first), 60, "This thread")
    assert submit(client, thread=second).status_code == 200


def test_new_threads_per_hour_on_one_board(settings, clock_at):
    app = flood_app(settings, replace(LOOSE, threads_per_hour=2))
    client = app.test_client()
    op = submit(client).get_json()["no"]
    clock_at(600)
    assert submit(client).status_code == 200
    clock_at(1200)
    assert_rate_refused(submit(client), 2400, "too many new threads")
    assert submit(client, thread=op).status_code == 200, "replies are still welcome"
    assert submit(client, "theory").status_code == 200
    clock_at(3600)
    assert submit(client).status_code == 200


def test_poster_token_cooldown(settings, clock_at):
    app = flood_app(settings, replace(LOOSE, reply_cooldown=10, thread_cooldown=45))
    client, other = app.test_client(), app.test_client()
    op = submit(client).get_json()["no"]
    clock_at(3)
    assert_rate_refused(submit(client, thread=op), 7, "too fast")
    assert submit(other, thread=op).status_code == 200, "another browser is not held back"
    clock_at(10)
    assert submit(client, thread=op).status_code == 200
    clock_at(30)
    assert_rate_refused(submit(client), 25, "too fast")


def test_posts_without_a_known_token_share_the_strict_newcomer_limit(settings, clock_at):
    app = flood_app(settings, replace(LOOSE, newcomer_per_minute=2))
    regular = app.test_client()
    assert submit(regular).status_code == 200  # its first post is a newcomer's
    clock_at(5)
    assert submit(app.test_client()).status_code == 200
    assert_rate_refused(submit(app.test_client()), 55, "new visitors")
    forged = app.test_client()
    forged.set_cookie("poster", secrets.token_urlsafe(32))
    assert_rate_refused(submit(forged), 55, "new visitors")
    assert submit(regular).status_code == 200, "a known token is not a newcomer"


def test_identical_body_refused_on_the_same_board_for_a_while(settings, clock_at):
    app = flood_app(settings, LOOSE)
    assert submit(app.test_client(), body="Buy cheap pills at example").status_code == 200
    again = submit(app.test_client(), body="  buy CHEAP pills\nat example ")
    assert again.status_code == 409
    assert "same comment" in again.get_json()["error"]
    assert submit(app.test_client(), "theory", body="Buy cheap pills at example"
                  ).status_code == 200
    clock_at(LOOSE.duplicate_window)
    assert submit(app.test_client(), body="Buy cheap pills at example").status_code == 200


def test_a_refused_post_changes_nothing(settings, clock_at):
    app = flood_app(settings, replace(LOOSE, board_per_minute=1))
    client = app.test_client()
    assert submit(client).status_code == 200
    with app.app_context():
        events = FloodEvent.select().count()
    assert submit(client, body="refused text").status_code == 429
    assert post_count(app) == 1
    with app.app_context():
        assert FloodEvent.select().count() == events
        assert not Post.select().where(Post.body == "refused text").exists()


def test_the_poster_token_itself_is_never_stored(settings, clock_at):
    app = flood_app(settings, LOOSE)
    client = app.test_client()
    submit(client)
    submit(client)
    token = client.get_cookie("poster").value
    with app.app_context():
        stored = [(e.key, e.digest or "") for e in FloodEvent.select()]
    assert stored and not any(token in key or token in digest for key, digest in stored)


def test_flood_off_lifts_every_limit(settings, clock_at):
    app = flood_app(settings, FloodLimits(site_per_minute=1, board_per_minute=1,
                                          newcomer_per_minute=1), LEFTBOOK_FLOOD="off")
    client = app.test_client()
    for _ in range(4):
        assert submit(client, body="same body").status_code == 200
    assert post_count(app) == 4


def test_crossing_a_threshold_turns_auto_captcha_on_for_a_while(settings, clock_at):
    app = flood_app(settings, replace(LOOSE, board_per_minute=4), LEFTBOOK_CAPTCHA="auto")
    client = app.test_client()
    assert 'name="captcha_answer"' not in client.get("/soc/").get_data(as_text=True)
    assert submit(client).status_code == 200
    assert submit(client).status_code == 200  # half the board's limit: a flood is starting
    assert 'name="captcha_answer"' in client.get("/soc/").get_data(as_text=True)
    assert 'name="captcha_answer"' not in client.get("/theory/").get_data(as_text=True)
    refused = submit(client)
    assert refused.status_code == 400 and "captcha" in refused.get_json()["error"]
    clock_at(FLOOD_CAPTCHA_SECONDS + 1)
    assert 'name="captcha_answer"' not in client.get("/soc/").get_data(as_text=True)
    assert submit(client).status_code == 200


def test_html_refusal_says_when_to_retry_and_that_the_text_is_kept(settings, clock_at):
    app = flood_app(settings, replace(LOOSE, reply_cooldown=30))
    client = app.test_client()
    op = submit(client).get_json()["no"]
    data = {"body": "a reply", "thread": op, "csrf_token": csrf_token(client)}
    page = client.post("/soc/post", data=data, content_type="multipart/form-data")
    assert page.status_code == 429 and page.headers["Retry-After"] == "30"
    text = page.get_data(as_text=True)
    assert "wait 30 seconds" in text and ">a reply</textarea>" in text, "the form comes back"
