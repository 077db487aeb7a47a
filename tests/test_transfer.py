"""`leftbook export` / `leftbook import`: a SQLite site moved to another database, row for row."""

import gzip
import io
import re

import pytest

from leftbook import create_app
from leftbook.cli import main
from leftbook.database import database
from leftbook.database.models import MODELS, Capability, Post, Thread
from tests.helpers import TEST_DATABASE_URL
from tests.images import photo

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
LINK = re.compile(r"/janitor/(\S+)")


def png(seed: int) -> bytes:
    out = io.BytesIO()
    photo(80, 60, seed=seed).save(out, "PNG")
    return out.getvalue()


class Site:
    """One app with its own client, used through the real form, CLI and janitor pages."""

    def __init__(self, app) -> None:
        self.app = app
        self.client = app.test_client()
        self.runner = app.test_cli_runner()

    def csrf(self, board: str = "soc") -> str:
        return CSRF_INPUT.search(self.client.get(f"/{board}/").get_data(as_text=True)).group(1)

    def post(self, board: str = "soc", **fields) -> int:
        data = {"csrf_token": self.csrf(board), "body": "hello", **fields}
        response = self.client.post(f"/{board}/post", data=data,
                                    headers={"Accept": "application/json"},
                                    content_type="multipart/form-data")
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()["no"]

    def cli(self, *args: str) -> str:
        result = self.runner.invoke(main, list(args))
        assert result.exit_code == 0, result.output
        return result.output

    def janitor(self, token: str, board: str, action: str, no: int) -> int:
        self.client.get(f"/janitor/{token}")
        return self.client.post(f"/janitor/action/{board}", data={
            "csrf_token": self.csrf(board), "do": f"{action}:{no}"}).status_code


def table_contents() -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order, blobs as bytes."""
    with database.connection_context():
        return {
            model._meta.table_name: [
                tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
                for row in model.select().order_by(model._meta.primary_key).tuples()
            ]
            for model in MODELS
        }


def fill(site: Site) -> dict:
    """Threads, replies with quotes, files (two in one post), a report, a janitor link and
    its audit entry."""
    op = site.post("soc", body="first thread", name="anon#tripsecret", password="pw")
    reply = site.post("soc", thread=str(op), body=f">>{op} agreed")
    pic = site.post("soc", thread=str(op), body=f">>{reply}\n>>{op} picture",
                    file=[(io.BytesIO(png(3)), "holiday.png"), (io.BytesIO(png(4)), "b.png")])
    doomed = site.post("soc", thread=str(op), body="off topic")
    other = site.post("theory", body="a theory thread")
    report = site.client.post("/soc/report", data={
        "csrf_token": site.csrf(), "post": [str(reply)], "reason": "spam", "text": "why"},
        headers={"Accept": "application/json"})
    assert report.status_code == 200, report.get_data(as_text=True)
    token = LINK.search(site.cli("janitor", "grant", "--board", "soc", "--note", "jan")).group(1)
    assert site.janitor(token, "soc", "delete", doomed) == 303
    site.cli("lockdown", "on", "--board", "meta")
    return {"op": op, "pic": pic, "other": other, "token": token}


def move(tmp_path, settings, target_url: str, dump_name: str = "site.jsonl"):
    """Fill a SQLite site, export it, import into `target_url` with the same data dir."""
    source = Site(create_app({**settings, "LEFTBOOK_DATABASE_URL":
                              f"sqlite:///{tmp_path / 'source.db'}"}))
    made = fill(source)
    before = table_contents()
    dump = tmp_path / dump_name
    assert "exported" in source.cli("export", str(dump))
    assert dump.stat().st_mode & 0o077 == 0
    target = Site(create_app({**settings, "LEFTBOOK_DATABASE_URL": target_url}))
    assert "imported" in target.cli("import", str(dump))
    return target, made, before


def check_moved_site(target: Site, made: dict, before: dict) -> None:
    """Every row arrived unchanged, and the site goes on: numbers, ids, links, files, IDs."""
    after = table_contents()
    assert after == before
    assert all(before[m._meta.table_name] for m in MODELS if m._meta.table_name not in (
        "file_ban", "flood_event", "used_challenge", "lock")), "the fill touched every table"
    thread_page = target.client.get(f"/soc/res/{made['op']}.html").get_data(as_text=True)
    assert f'id="p{made["pic"]}"' in thread_page and "picture" in thread_page
    api = target.client.get(f"/soc/res/{made['op']}.json").get_json()
    with_file = next(p for p in api["posts"] if p["no"] == made["pic"])
    source_file = target.client.get(f"/soc/src/{with_file['tim']}{with_file['ext']}")
    assert source_file.status_code == 200 and source_file.data[:4] == b"\x89PNG"

    last_soc = next(last_no for slug, last_no, _ in before["board_state"] if slug == "soc")
    new_reply = target.post("soc", thread=str(made["op"]), body=f">>{made['pic']} still here")
    assert new_reply == last_soc + 1
    assert target.post("theory", body="new theory thread") > made["other"]
    new_link = LINK.search(target.cli("janitor", "grant", "--all")).group(1)
    with target.app.app_context(), database.connection_context():
        assert Capability.select().count() == 2
        assert Post.get(Post.no == made["pic"]).backlinks.count() == 1
        assert Thread.select().where(Thread.board == "soc").count() == 1
    assert target.janitor(made["token"], "soc", "lock", made["op"]) == 303
    assert target.janitor(new_link, "soc", "sticky", made["op"]) == 303


@pytest.mark.postgres
@pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs LEFTBOOK_TEST_DATABASE_URL "
                    "(the PostgreSQL pass of `bash scripts/run test`)")
def test_sqlite_site_moves_to_postgresql(tmp_path, settings):
    target, made, before = move(tmp_path, settings, TEST_DATABASE_URL)
    check_moved_site(target, made, before)


def test_sqlite_site_moves_to_a_new_sqlite_file_through_a_gzip_dump(tmp_path, settings):
    target, made, before = move(tmp_path, settings, f"sqlite:///{tmp_path / 'target.db'}",
                                dump_name="site.jsonl.gz")
    with gzip.open(tmp_path / "site.jsonl.gz", "rt") as dump:
        assert '"format":"leftbook-export"' in dump.readline()
    check_moved_site(target, made, before)


def test_import_refuses_a_database_that_holds_rows(tmp_path, settings):
    site = Site(create_app(settings))
    site.post("soc", body="already here")
    dump = tmp_path / "site.jsonl"
    site.cli("export", str(dump))
    before = table_contents()
    result = site.runner.invoke(main, ["import", str(dump)])
    assert result.exit_code != 0
    assert "not empty" in result.output and "post" in result.output
    assert table_contents() == before


@pytest.mark.parametrize("damage", ["truncated", "miscounted", "foreign", "not json"])
def test_a_damaged_dump_imports_nothing(tmp_path, settings, damage):
    source = Site(create_app({**settings, "LEFTBOOK_DATABASE_URL":
                              f"sqlite:///{tmp_path / 'source.db'}"}))
    for n in range(3):
        source.post("soc", body=f"thread {n}")
    dump = tmp_path / "site.jsonl"
    source.cli("export", str(dump))
    lines = dump.read_text().splitlines()
    if damage == "truncated":
        lines = lines[:-1]
    elif damage == "miscounted":
        lines.remove(next(line for line in lines if line.startswith("[") and "thread 1" in line))
    elif damage == "foreign":
        lines[0] = '{"format":"something-else","version":1}'
    else:
        lines.insert(3, "{not json")
    dump.write_text("\n".join(lines) + "\n")
    target = Site(create_app(settings))
    result = target.runner.invoke(main, ["import", str(dump)])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "Nothing was imported" in result.output
    assert all(rows == [] for rows in table_contents().values())
