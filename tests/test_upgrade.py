"""Upgrades: a data dir written by the first release (commit 0fc2ca8) opens with this release,
upgraded in place, keeping every post, file, poster ID, tripcode, janitor link and report; a data
dir from a newer release is refused and left alone; an upgrade that fails or is killed midway
leaves the first release's schema and rows as they were.

The first release's data comes from its own code run from git, or from the fixture that code
wrote (tests/fixtures/release1/, see tests/upgrade_fixture.py) when git lacks the commit.
"""

import hashlib
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from peewee import SQL, IntegerField, Table
from playhouse.db_url import connect

from leftbook import create_app
from leftbook.cli import main
from leftbook.database import bind, database, schema
from leftbook.database.models import MODELS, Post
from tests import upgrade_fixture as release1
from tests.helpers import TEST_DATABASE_URL, csrf_token, reset_test_database

POST_FIELDS = ("board", "no", "thread_no", "time", "name", "trip", "poster_id", "subject",
               "body", "html", "file_id")


def url_of(settings: dict) -> str:
    return release1.database_url(Path(settings["LEFTBOOK_DATA_DIR"]), TEST_DATABASE_URL)


def snapshot(url: str) -> dict:
    """The schema and every row of every table, read on a connection of its own."""
    db = connect(url)
    with db.connection_context():
        rows = {t: [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
                    for row in Table(t).bind(db).select().order_by(SQL("1")).tuples()]
                for t in db.get_tables()}
    return {"schema": release1.schema_signature(url), "rows": rows}


def row_counts(tables) -> dict[str, int]:
    models = {m._meta.table_name: m for m in MODELS}
    with database.connection_context():
        return {t: models[t].select().count() for t in tables}


def new_site_schema(settings: dict, tmp_path: Path) -> dict:
    """The schema this release gives a brand-new site (PostgreSQL: emptied again after)."""
    create_app({**settings, "LEFTBOOK_DATA_DIR": str(tmp_path / "new-site")})
    url = release1.database_url(tmp_path / "new-site", TEST_DATABASE_URL)
    signature = release1.schema_signature(url)
    if TEST_DATABASE_URL:
        reset_test_database(TEST_DATABASE_URL)
    return signature


def first_release_data(source: str, data_dir: Path, tmp_path: Path) -> dict:
    if source == "fixture":
        return release1.replay_fixture(data_dir, TEST_DATABASE_URL)
    missing = release1.first_release_missing()
    if missing:
        why, expected = missing
        if not expected:
            pytest.fail(f"{why}: cannot run the first release's code")
        pytest.skip(f"{why}; the [fixture] case checked the same upgrade on what it wrote")
    code = release1.first_release_code(tmp_path / "code")
    return release1.run_first_release(code, data_dir, TEST_DATABASE_URL)


def send_post(client, board: str, **fields):
    data = {"csrf_token": csrf_token(client, board), **fields}
    return client.post(f"/{board}/post", data=data, headers={"Accept": "application/json"},
                       content_type="multipart/form-data")


@pytest.fixture
def old_site(settings) -> dict:
    """The test's data dir (and database) as the first release left it; what it showed."""
    return release1.replay_fixture(Path(settings["LEFTBOOK_DATA_DIR"]), TEST_DATABASE_URL)


@pytest.mark.parametrize("source", ["fixture", "first-release-code"])
def test_first_release_data_dir_is_upgraded_keeping_everything(source, settings, tmp_path,
                                                                frozen_clock):
    new_site = new_site_schema(settings, tmp_path)
    data_dir = Path(settings["LEFTBOOK_DATA_DIR"])
    before = first_release_data(source, data_dir, tmp_path)
    first_schema = release1.expected()[release1.backend(TEST_DATABASE_URL)]["schema"]
    assert release1.schema_signature(url_of(settings)) == first_schema, \
        "the committed fixture's schema is the one the first release writes"

    frozen_clock(before["now"] + 3600)  # an hour after the first release's last post
    client = create_app(settings).test_client()

    with database.connection_context():
        assert schema.stored_version() == schema.SCHEMA_VERSION
        posts = [{k: getattr(p, k) for k in POST_FIELDS}
                 for p in Post.select().order_by(Post.board, Post.no)]
    assert row_counts(before["counts"]) == before["counts"], "every row is kept"
    assert posts == before["posts"], "posts keep their text, HTML, tripcodes and IDs"
    found = client.get("/search.json?q=hardest chapter").get_json()["results"]
    assert [(r["board"], r["no"]) for r in found] == [("soc", 1)], "old posts are indexed"

    for thread, shown in before["api"].items():
        board, no = thread.split("/")
        now = client.get(f"/{board}/res/{no}.json").get_json()["posts"]
        assert [{k: p.get(k) for k in old} for p, old in zip(now, shown["posts"], strict=True)] \
            == shown["posts"], f"the API shows /{board}/res/{no} as the first release did"

    op, reply, again = before["posts"][:3]
    page = client.get("/soc/res/1.html").get_data(as_text=True)
    for post in (op, reply, again):
        assert post["html"] in page
    assert f'<span class="trip">{op["trip"]}</span>' in page  # classic tripcode
    assert f'<span class="trip">{reply["trip"]}</span>' in page  # secure tripcode (site secret)
    assert page.count(f"ID: {op['poster_id']}") == 2 and f"ID: {reply['poster_id']}" in page
    assert 'class="backlink" href="/soc/res/1.html#p2"' in page  # the quote's backlink

    picture = before["api"]["soc/1"]["posts"][0]
    src = f"/soc/src/{picture['tim']}{picture['ext']}"
    assert src in page
    served = client.get(src)
    assert served.status_code == 200 and hashlib.sha256(served.data).hexdigest() == op["file_id"]
    thumb_name = picture["tim"] + picture["thumb_ext"]
    thumb = client.get(f"/soc/thumb/{thumb_name}")
    assert thumb.status_code == 200
    assert thumb.data == (data_dir / "files" / "thumb" / thumb_name).read_bytes()

    link = client.get(f"/janitor/{before['janitor_token']}")
    assert link.status_code == 303 and link.headers["Location"].endswith("/janitor/")
    dashboard = client.get("/janitor/").get_data(as_text=True)
    assert "Open reports (1)" in dashboard and "selling something" in dashboard
    assert reply["html"] in dashboard

    # The browser that wrote post 1 replies after the upgrade: numbering goes on, its ID stays.
    client.set_cookie("poster", before["poster_tokens"][0])
    answer = send_post(client, "soc", thread="1", body="Back after the upgrade.")
    assert answer.status_code == 200 and answer.get_json() == {"thread": 1, "no": 4}
    newest = client.get("/soc/res/1.json").get_json()["posts"][-1]
    assert newest["id"] == op["poster_id"]
    assert send_post(client, "theory", body="A new thread").get_json() == {"thread": 2, "no": 2}

    assert release1.schema_signature(url_of(settings)) == new_site, \
        "an upgraded database has exactly the schema a new site gets"


def test_new_site_starts_at_the_current_schema_version(settings):
    for _start in range(2):  # the second start finds the version and changes nothing
        create_app(settings)
        with database.connection_context():
            assert schema.stored_version() == schema.SCHEMA_VERSION
            assert schema.SchemaInfo.select().count() == 1


def test_data_dir_from_a_newer_release_is_refused_and_left_unchanged(settings, old_site):
    create_app(settings)
    newer = schema.SCHEMA_VERSION + 1
    with database.connection_context():
        schema.SchemaInfo.update(version=newer).execute()  # as a newer release would leave it
    before = snapshot(url_of(settings))

    env = {k: v for k, v in settings.items() if k.startswith("LEFTBOOK_")}
    result = CliRunner().invoke(main, ["prune", "--dry-run"], env=env)

    assert result.exit_code == 1, result.output
    message = result.output.strip()
    assert message.startswith("Error: ") and "\n" not in message, "one line, no traceback"
    assert f"schema version {newer}" in message and "newer Leftbook" in message
    assert f"versions 1 to {schema.SCHEMA_VERSION}" in message
    assert snapshot(url_of(settings)) == before


def test_failed_upgrade_leaves_the_first_release_schema_and_rows(settings, old_site,
                                                                  monkeypatch):
    before = snapshot(url_of(settings))

    def broken(migrator) -> None:
        migrator.add_column("post", "probe", IntegerField(null=True)).run()
        migrator.drop_not_null("post", "name").run()  # SQLite rebuilds the table for this
        migrator.sql("UPDATE post SET body = 'overwritten'").run()
        raise OSError("No space left on device")

    with monkeypatch.context() as patch:
        patch.setitem(schema.MIGRATIONS, schema.SCHEMA_VERSION, broken)
        with pytest.raises(OSError, match="No space left"):
            create_app(settings)
    after = snapshot(url_of(settings))
    assert after["schema"] == before["schema"] == old_site["schema"]
    assert after["rows"] == before["rows"]

    client = create_app(settings).test_client()  # the next start upgrades it
    assert old_site["posts"][0]["html"] in client.get("/soc/res/1.html").get_data(as_text=True)


KILLED_UPGRADE = """
import time
from peewee import IntegerField
from leftbook import create_app
from leftbook.database import schema

def stuck(migrator):
    migrator.add_column("post", "probe", IntegerField(null=True)).run()
    migrator.sql("UPDATE post SET body = 'overwritten'").run()
    print("migrating", flush=True)
    time.sleep(300)

schema.MIGRATIONS[schema.SCHEMA_VERSION] = stuck
create_app()
"""


def test_killed_upgrade_leaves_the_first_release_schema_and_rows(settings, old_site):
    before = snapshot(url_of(settings))
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEFTBOOK_")}
    env.update({k: v for k, v in settings.items() if k.startswith("LEFTBOOK_")})
    upgrade = subprocess.Popen([sys.executable, "-c", KILLED_UPGRADE], env=env,
                               cwd=release1.REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    watchdog = threading.Timer(120, upgrade.kill)
    watchdog.start()
    try:
        line = upgrade.stdout.readline()
    finally:
        upgrade.kill()  # SIGKILL: no Python cleanup, no rollback sent by the client
        upgrade.wait()
        watchdog.cancel()
    assert line == "migrating\n", upgrade.stderr.read()

    after = snapshot(url_of(settings))
    assert after["schema"] == before["schema"] == old_site["schema"]
    assert after["rows"] == before["rows"]
    create_app(settings)
    with database.connection_context():
        assert schema.stored_version() == schema.SCHEMA_VERSION


def test_instances_starting_together_upgrade_once(settings, old_site, monkeypatch):
    monkeypatch.setitem(schema.MIGRATIONS, schema.SCHEMA_VERSION, lambda _m: time.sleep(0.5))
    bind(url_of(settings))
    found, errors = [], []

    def start() -> None:
        try:
            with database.connection_context():
                found.append(schema.upgrade())
        except Exception as exc:  # reported below, in the test's thread
            errors.append(exc)

    instances = [threading.Thread(target=start) for _ in range(2)]
    for instance in instances:
        instance.start()
    for instance in instances:
        instance.join(60)
    assert errors == []
    assert sorted(found) == [1, schema.SCHEMA_VERSION], "one upgraded, the other found it done"
    assert row_counts(old_site["counts"]) == old_site["counts"]


def test_migration_that_rebuilds_a_table_keeps_the_rows_that_refer_to_it(settings, old_site,
                                                                          monkeypatch,
                                                                          frozen_clock):
    """SQLite changes a column by rebuilding the table; with foreign keys on, dropping the old
    `post` table would cascade-delete every report and backlink."""
    frozen_clock(old_site["now"] + 3600)
    later = schema.SCHEMA_VERSION + 1
    monkeypatch.setitem(schema.MIGRATIONS, later,
                        lambda migrator: migrator.drop_not_null("post", "name").run())
    monkeypatch.setattr(schema, "SCHEMA_VERSION", later)

    client = create_app(settings).test_client()

    assert row_counts(old_site["counts"]) == old_site["counts"]
    client.get(f"/janitor/{old_site['janitor_token']}")
    assert "selling something" in client.get("/janitor/").get_data(as_text=True)
    assert 'class="backlink"' in client.get("/soc/res/1.html").get_data(as_text=True)


@pytest.mark.sqlite_only
def test_migration_leaving_rows_that_point_at_nothing_is_refused(settings, old_site,
                                                                 monkeypatch):
    """Foreign keys are off while SQLite migrates, so they are checked before the commit."""
    before = snapshot(url_of(settings))
    monkeypatch.setitem(schema.MIGRATIONS, schema.SCHEMA_VERSION,
                        lambda migrator: migrator.sql("DELETE FROM post WHERE no = 2").run())

    with pytest.raises(schema.SchemaError) as refused:
        create_app(settings)

    assert str(refused.value) == ("the upgrade would leave 2 rows in backlink, report pointing "
                                  "at missing rows; nothing was changed.")
    assert snapshot(url_of(settings)) == before


def test_migrations_lead_from_the_first_release_to_the_current_version():
    assert sorted(schema.MIGRATIONS) == list(range(2, schema.SCHEMA_VERSION + 1))
