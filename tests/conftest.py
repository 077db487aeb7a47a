"""Fixtures: an app on tmp_path, its client and CLI runner, and a posting helper."""

import dataclasses
import os
from collections.abc import Callable

import pytest

from leftbook import clock, create_app
from leftbook.cli import main
from tests.helpers import TEST_DATABASE_URL, csrf_token, reset_test_database


def pytest_report_header(config) -> str:
    return f"database: {'PostgreSQL ' + TEST_DATABASE_URL if TEST_DATABASE_URL else 'SQLite'}"


def pytest_collection_modifyitems(config, items) -> None:
    if not TEST_DATABASE_URL:
        return
    skip = pytest.mark.skip(reason="SQLite-specific: this pass runs on PostgreSQL")
    for item in items:
        if "sqlite_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def settings(tmp_path, monkeypatch) -> dict:
    """Test settings; the environment's LEFTBOOK_* never leaks in, except a test database URL."""
    for key in list(os.environ):
        if key.startswith("LEFTBOOK_"):
            monkeypatch.delenv(key)
    database = {}
    if TEST_DATABASE_URL:
        reset_test_database(TEST_DATABASE_URL)
        database["LEFTBOOK_DATABASE_URL"] = TEST_DATABASE_URL
    return {
        **database,
        "TESTING": True,
        "LEFTBOOK_DATA_DIR": str(tmp_path / "data"),
        "LEFTBOOK_FLOOD": "off",
        "LEFTBOOK_CAPTCHA": "off",
        "LEFTBOOK_TOR": "off",
    }


@pytest.fixture
def app(settings):
    return create_app(settings)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    """Runs `leftbook` commands against `app`: `runner.invoke(args=[...])`."""
    base = app.test_cli_runner()

    class Runner:
        def invoke(self, cli=None, args: list[str] | None = None, **kwargs):
            return base.invoke(cli or main, args, **kwargs)

    return Runner()


@pytest.fixture
def board_settings(app, monkeypatch) -> Callable[..., None]:
    """`board_settings("soc", pages=1)` changes one board's settings for this test only."""

    def change(slug: str, **fields) -> None:
        boards = app.config["BOARDS"]
        monkeypatch.setitem(boards, slug, dataclasses.replace(boards[slug], **fields))

    return change


@pytest.fixture
def frozen_clock(monkeypatch) -> Callable[[int], None]:
    """Set the site's clock: `frozen_clock(t)` makes `leftbook.clock.now()` return t."""
    state = {"now": 1_800_000_000}
    monkeypatch.setattr(clock, "now", lambda: state["now"])

    def set_time(value: int) -> None:
        state["now"] = value

    return set_time




@pytest.fixture
def post(client):
    """`post(board, body=..., thread=..., **fields)` submits the real form; returns the response.

    With `json=True` (the default) it asks for JSON, so the response carries thread and no.
    The CSRF token belongs to the browser's session, so one serves every board;
    `post.warm()` fetches it ahead (e.g. before a lockdown hides every form).
    """
    tokens: dict[str, str] = {}

    def warm(board: str = "soc") -> str:
        if "session" not in tokens:
            known = board if board in client.application.config["BOARDS"] else "soc"
            tokens["session"] = csrf_token(client, known)
        return tokens["session"]

    def submit(board: str = "soc", *, json: bool = True, csrf: bool = True, **fields):
        data = {"body": "hello", **{k: v for k, v in fields.items() if v is not None}}
        if csrf:
            data.setdefault("csrf_token", warm(board))
        headers = {"Accept": "application/json"} if json else {}
        return client.post(f"/{board}/post", data=data, headers=headers,
                           content_type="multipart/form-data")

    submit.warm = warm
    return submit


@pytest.fixture
def new_thread(post) -> Callable[..., int]:
    def make(board: str = "soc", body: str = "opening post", **fields) -> int:
        response = post(board, body=body, **fields)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()["no"]

    return make


@pytest.fixture
def tor(tmp_path):
    """A real tor with `DisableNetwork 1` and a control port, stopped after the test."""
    from tests.torlab import offline_tor

    process = offline_tor(tmp_path / "tor")
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def messages() -> list[str]:
    """Collects what the code under test logs (pass `messages.append` as its `log`)."""
    return []


@pytest.fixture
def event_thread(post) -> Callable[..., int]:
    """`event_thread("2027-02-01", end=None, place=..., link=...)` starts an event thread
    (on /events/ unless `board=` says otherwise); returns its number."""

    def make(start: str, end: str | None = None, *, board: str = "events",
             place: str = "Lisbon", link: str = "https://example.org/events",
             body: str = "Come along.", **fields) -> int:
        response = post(board, body=body, event_start=start, event_end=end, event_place=place,
                        event_link=link, **fields)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()["no"]

    return make
