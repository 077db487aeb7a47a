"""Expensive or shared actions under a flood: deletion-password checks are bounded, kept out
of the write lock and rate-limited; no flooder can suppress another reader's report."""

import re

from leftbook.database import database
from leftbook.database.models import Post, Report
from leftbook.posting import identity, owndelete


def csrf(client, board: str = "soc") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"',
                     client.get(f"/{board}/").get_data(as_text=True)).group(1)


def delete(client, numbers: list[int], password: str):
    return client.post("/soc/delete", data={"csrf_token": csrf(client), "post": numbers,
                                            "password": password},
                       headers={"Accept": "application/json"})


def report(client, numbers: list[int], reason: str = "spam"):
    return client.post("/soc/report", data={"csrf_token": csrf(client), "post": numbers,
                                            "reason": reason},
                       headers={"Accept": "application/json"})


def test_a_request_checks_a_bounded_number_of_passwords(client, new_thread):
    numbers = [new_thread("soc", body=f"t{n}", password="pw") for n in range(11)]
    response = delete(client, numbers, "wrong")
    assert response.status_code == 400
    assert f"at most {owndelete.MAX_AT_ONCE}" in response.get_json()["error"]


def test_guessing_a_password_is_rate_limited_per_browser(app, client, new_thread):
    numbers = [new_thread("soc", body=f"t{n}", password="right") for n in range(5)]
    for _ in range(owndelete.CHECKS_PER_TOKEN // 5):
        assert delete(client, numbers, "guess").status_code == 403
    refused = delete(client, numbers, "right")
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    assert "Too many deletion attempts" in refused.get_json()["error"]
    with app.app_context():
        assert Post.select().count() == 5


def test_the_site_wide_budget_bounds_guesses_from_fresh_browsers(app, new_thread, monkeypatch):
    monkeypatch.setattr(owndelete, "CHECKS_PER_MINUTE", 6)
    op = new_thread("soc", password="right")
    statuses = []
    for _ in range(8):
        fresh = app.test_client()  # no cookie: a new browser every time
        statuses.append(delete(fresh, [op], "guess").status_code)
    assert statuses.count(403) == 6 and statuses[6:] == [429, 429]


def test_passwords_are_checked_outside_the_write_lock(client, new_thread, monkeypatch):
    op = new_thread("soc", password="right")
    real_check = identity.check_password
    seen = []

    def check(password: str, stored: str) -> bool:
        seen.append(database.in_transaction())
        return real_check(password, stored)

    monkeypatch.setattr(identity, "check_password", check)
    assert delete(client, [op], "right").status_code == 200
    assert seen == [False]


def test_a_flooder_cannot_suppress_another_readers_report(app, client, post, new_thread):
    op = new_thread("soc", body="a thread")
    replies = [post("soc", thread=op, body=f"r{n}").get_json()["no"] for n in range(5)]
    flooder = app.test_client()  # no poster cookie, as a script would be
    for _ in range(30):
        assert report(flooder, replies, "spam").status_code == 200
        assert report(flooder, [op], "offtopic").status_code == 200
    reader = app.test_client()
    assert report(reader, [replies[2]], "doxxing").status_code == 200
    with app.app_context():
        kinds = sorted((r.post.no, r.reason) for r in Report.select())
    assert (replies[2], "doxxing") in kinds
    assert len(kinds) == 7  # five spam, one offtopic, one doxxing: repeats add nothing
