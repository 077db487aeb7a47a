"""Helpers the tests share (fixtures live in conftest.py): CSRF tokens from pages, the test
database of the PostgreSQL pass, and apps with flood control on."""

import os
import re
import secrets

from leftbook import create_app
from leftbook.abuse.flood import FloodLimits

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
# Set by the test command's second pass: every test then runs on a fresh PostgreSQL schema.
TEST_DATABASE_URL = os.environ.get("LEFTBOOK_TEST_DATABASE_URL")
LOOSE = FloodLimits(site_per_minute=1000, board_per_minute=1000, thread_per_minute=1000,
                    threads_per_hour=1000, newcomer_per_minute=1000, reply_cooldown=0,
                    thread_cooldown=0)


def reset_test_database(url: str) -> None:
    """Drop and recreate the public schema, so each test starts from an empty database."""
    from playhouse.db_url import connect

    db = connect(url)
    with db.connection_context():
        db.execute_sql("DROP SCHEMA public CASCADE")
        db.execute_sql("CREATE SCHEMA public")


def csrf_token(client, board: str = "soc") -> str:
    page = client.get(f"/{board}/")
    match = CSRF_INPUT.search(page.get_data(as_text=True))
    assert match, "the board page has a CSRF token"
    return match.group(1)


def flood_app(settings, limits: FloodLimits, **extra):
    return create_app({**settings, "LEFTBOOK_FLOOD": "on", "FLOOD_LIMITS": limits, **extra})


def submit(client, board: str = "soc", body: str | None = None, **fields):
    """Post through the form with this client's cookie jar; a unique body unless given."""
    data = {"body": body or f"post {secrets.token_hex(6)}",
            "csrf_token": csrf_token(client, board), **fields}
    return client.post(f"/{board}/post", data=data, headers={"Accept": "application/json"},
                       content_type="multipart/form-data")


def assert_rate_refused(response, retry_after: int, words: str) -> None:
    assert response.status_code == 429, response.get_data(as_text=True)
    assert response.headers["Retry-After"] == str(retry_after)
    message = response.get_json()["error"]
    assert words in message and f"{retry_after} seconds" in message
