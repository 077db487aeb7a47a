"""A request's database connection stays with its thread for the next request (no connect,
pragmas or pool round trip per request), and one that broke is replaced."""

import pytest

from leftbook.database import database, is_sqlite


def test_a_thread_keeps_its_connection_between_requests(app, client, new_thread):
    op = new_thread("soc")
    for path in ("/soc/", f"/soc/res/{op}.html", "/soc/catalog.json", "/soc/"):
        assert client.get(path).status_code == 200
    kept = database.connection()
    assert client.get(f"/soc/res/{op}.json").status_code == 200
    assert database.connection() is kept
    assert not database.in_transaction()


def test_a_broken_connection_is_replaced(app, client, new_thread):
    if is_sqlite():
        pytest.skip("a SQLite connection is a file: it does not break underneath")
    new_thread("soc")
    broken = database.connection()
    broken.close()  # as a server restart leaves it, once the driver has noticed
    assert client.get("/soc/catalog.json").status_code == 200
    assert database.connection() is not broken
