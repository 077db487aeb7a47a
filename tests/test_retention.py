"""Pruning: every row of the retention table, the CLI, unrecoverability, the lock, crashes."""

import dataclasses
import io
import os
import threading
import time
from pathlib import Path

import pytest
from peewee import SqliteDatabase
from PIL import Image

from leftbook.cli import main
from leftbook.database import database, fulltext, open_database
from leftbook.database.models import (
    AuditEntry,
    File,
    FloodEvent,
    Lock,
    Post,
    Report,
    Setting,
    Thread,
    UsedChallenge,
)
from leftbook.media.store import FileStore
from leftbook.retention import prune as retention
from leftbook.retention import threads as retention_threads
from leftbook.retention.lock import ADVISORY_KEY, PRUNE_LOCK, prune_lock
from leftbook.retention.scheduler import prune_schedule

T0 = 1_800_000_000
DAY = 86400


def png(seed: int) -> bytes:
    """A small picture whose pixels (hence stored name) depend on `seed`."""
    image = Image.new("RGB", (24, 24), (seed % 256, (seed * 7) % 256, (seed * 13) % 256))
    image.putpixel((seed % 24, 3), (255 - seed % 256, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def with_file(seed: int) -> dict:
    return {"file": (io.BytesIO(png(seed)), "holiday.png")}


def run_prune(app, boards=None, **options) -> dict[str, int]:
    with app.app_context():
        return retention.prune(boards or app.config["BOARDS"], app.config["STORE"], **options)


def shrunk(app, slug: str, **limits) -> dict:
    boards = dict(app.config["BOARDS"])
    boards[slug] = dataclasses.replace(boards[slug], **limits)
    return boards


def thread_numbers(app, board: str = "soc") -> set[int]:
    with app.app_context():
        return {no for (no,) in Thread.select(Thread.no).where(Thread.board == board).tuples()}


def stored_files(app) -> set[str]:
    root = app.config["STORE"].root
    return {p.name for p in root.rglob("*") if p.is_file()}


def assert_consistent(app) -> None:
    """No post without its thread, no File row without its files, no stored file without a row."""
    root = app.config["STORE"].root
    with app.app_context():
        thread_ids = {t for (t,) in Thread.select(Thread.id).tuples()}
        assert {p for (p,) in Post.select(Post.thread).tuples()} <= thread_ids
        rows = list(File.select(File.tim, File.ext, File.thumb_ext).tuples())
    for tim, ext, thumb_ext in rows:
        assert (root / "src" / (tim + ext)).is_file()
        assert (root / "thumb" / (tim + thumb_ext)).is_file()
    assert {name[:64] for name in stored_files(app)} <= {tim for tim, _, _ in rows}


def test_thread_past_its_ttl_goes_with_posts_and_salt(app, client, post, new_thread,
                                                      frozen_clock):
    ttl = app.config["BOARDS"]["soc"].thread_ttl
    frozen_clock(T0)
    old = new_thread("soc", body="old thread")
    post("soc", thread=old, body="old reply")
    frozen_clock(T0 + ttl - 100)
    young = new_thread("soc", body="young thread")
    frozen_clock(T0 + ttl)
    assert run_prune(app)["threads"] == 0
    frozen_clock(T0 + ttl + 1)
    counts = run_prune(app)
    assert (counts["threads"], counts["posts"]) == (1, 2)
    assert thread_numbers(app) == {young}
    assert client.get(f"/soc/res/{old}.html").status_code == 404
    assert "old thread" not in client.get("/soc/").get_data(as_text=True)
    with app.app_context():
        assert Post.select().where(Post.board == "soc", Post.thread_no == old).count() == 0


def test_threads_beyond_a_shrunk_board_fall_off_least_bumped_first(app, post, new_thread,
                                                                   frozen_clock):
    numbers = []
    for t in range(5):
        frozen_clock(T0 + t * 100)
        numbers.append(new_thread("soc", body=f"thread {t}"))
    frozen_clock(T0 + 600)
    post("soc", thread=numbers[0], body="bump")
    with app.app_context():
        Thread.update(sticky=True).where(Thread.no == numbers[1]).execute()
    boards = shrunk(app, "soc", pages=1, threads_per_page=3)
    counts = run_prune(app, boards)
    assert counts["threads"] == 2
    assert thread_numbers(app) == {numbers[0], numbers[1], numbers[4]}
    assert run_prune(app, boards)["threads"] == 0


def test_files_go_with_their_last_post_and_unreferenced_rows_go(app, post, new_thread,
                                                                frozen_clock):
    frozen_clock(T0)
    first = new_thread("soc", body="with picture", **with_file(1))
    frozen_clock(T0 + 10)
    second = new_thread("soc", body="same picture", **with_file(1))
    assert len(stored_files(app)) == 2  # one picture (stored once) and its thumbnail
    boards = shrunk(app, "soc", pages=1, threads_per_page=1)
    counts = run_prune(app, boards)
    assert (counts["threads"], counts["files"]) == (1, 0)
    assert thread_numbers(app) == {second} and first != second
    assert len(stored_files(app)) == 2
    with app.app_context():
        Post.update(file=None).execute()
    assert run_prune(app)["files"] == 1
    assert stored_files(app) == set()
    with app.app_context():
        assert File.select().count() == 0
    assert_consistent(app)


def test_old_files_on_disk_without_a_row_are_unlinked(app, new_thread):
    new_thread("soc", body="kept picture", **with_file(2))
    kept = stored_files(app)
    root = app.config["STORE"].root
    orphan = root / "src" / ("ab" * 32 + ".png")
    orphan_thumb = root / "thumb" / ("ab" * 32 + ".jpg")
    leftover = root / "src" / ".partial-x1y2"
    fresh = root / "src" / ("cd" * 32 + ".png")
    foreign = root / "src" / "README"
    for path in (orphan, orphan_thumb, leftover, fresh, foreign):
        path.write_bytes(b"data")
    an_hour_ago = time.time() - 3600
    for path in (orphan, orphan_thumb, leftover, foreign, *(root / k / n for k in ("src", "thumb")
                                                            for n in kept)):
        if path.exists():
            os.utime(path, (an_hour_ago, an_hour_ago))
    assert run_prune(app)["orphan_files"] == 3
    assert stored_files(app) == kept | {fresh.name, "README"}


def test_deletion_passwords_are_forgotten_after_the_window(app, new_thread, frozen_clock):
    window = app.config["BOARDS"]["soc"].delete_window
    frozen_clock(T0)
    no = new_thread("soc", body="mine", password="hunter2")

    def stored_hash():
        with app.app_context():
            return Post.get(Post.board == "soc", Post.no == no).password_hash

    frozen_clock(T0 + window)
    assert run_prune(app)["password_hashes"] == 0 and stored_hash() is not None
    frozen_clock(T0 + window + 1)
    assert run_prune(app)["password_hashes"] == 1
    assert stored_hash() is None
    assert no in thread_numbers(app)


def test_reports_go_when_handled_or_after_seven_days(app, new_thread, frozen_clock):
    frozen_clock(T0)
    no = new_thread("soc")
    with app.app_context():
        post_id = Post.get(Post.no == no).id
        for created, handled, reason in ((T0, True, "handled"), (T0 - 7 * DAY - 1, False, "old"),
                                         (T0 - 7 * DAY, False, "week"), (T0, False, "new")):
            Report.create(post=post_id, board="soc", reason=reason, created=created,
                          handled=handled)
    assert run_prune(app)["reports"] == 2
    with app.app_context():
        assert {r.reason for r in Report.select()} == {"week", "new"}


def test_audit_entries_go_after_thirty_days(app, frozen_clock):
    frozen_clock(T0)
    with app.app_context():
        for age in (30 * DAY + 1, 30 * DAY, 0):
            AuditEntry.create(capability=1, action=f"age{age}", board="soc", time=T0 - age)
    assert run_prune(app)["audit_entries"] == 1
    with app.app_context():
        assert {a.action for a in AuditEntry.select()} == {f"age{30 * DAY}", "age0"}


def test_flood_and_captcha_state_expires_within_the_hour(app, frozen_clock):
    frozen_clock(T0)
    with app.app_context():
        FloodEvent.create(kind="post", key="site", time=T0 - 3601)
        FloodEvent.create(kind="post", key="board:soc", time=T0 - 60)
        UsedChallenge.create(challenge="spent", expires=T0 - 1)
        UsedChallenge.create(challenge="live", expires=T0 + 300)
        Setting.create(key="captcha", value="on", expires=T0 - 1)
        Setting.create(key="lockdown", value="on", expires=T0 + 600)
        Setting.create(key="forever", value="x", expires=None)
    counts = run_prune(app)
    assert (counts["flood_events"], counts["used_challenges"], counts["settings"]) == (1, 1, 1)
    with app.app_context():
        assert [f.key for f in FloodEvent.select()] == ["board:soc"]
        assert [c.challenge for c in UsedChallenge.select()] == ["live"]
        assert {s.key for s in Setting.select()} == {"lockdown", "forever", "prune:last"}


def test_threads_of_a_board_whose_file_was_removed_expire_with_site_defaults(
        app, new_thread, frozen_clock):
    frozen_clock(T0)
    new_thread("soc")
    boards = {slug: b for slug, b in app.config["BOARDS"].items() if slug != "soc"}
    frozen_clock(T0 + 59 * DAY)
    assert run_prune(app, boards)["threads"] == 0
    frozen_clock(T0 + 61 * DAY)
    assert run_prune(app, boards)["threads"] == 1


def test_cli_dry_run_changes_nothing_and_prune_prints_counts(app, runner, post, new_thread,
                                                             frozen_clock):
    frozen_clock(T0)
    old = new_thread("soc", body="to go", **with_file(3))
    post("soc", thread=old, body="reply")
    frozen_clock(T0 + 31 * DAY)
    result = runner.invoke(main, ["prune", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would prune: threads=1 posts=2 files=1 orphan_files=0 password_hashes=0" \
        in result.output
    assert old in thread_numbers(app) and len(stored_files(app)) == 2
    result = runner.invoke(main, ["prune"])
    assert result.exit_code == 0, result.output
    assert "pruned: threads=1 posts=2 files=1" in result.output
    assert thread_numbers(app) == set() and stored_files(app) == set()
    assert "to go" not in result.output


def _hits(root: Path, needles: list[bytes]) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path.name}: {n[:16]!r}" for n in needles if n in data]
    return found


def test_pruned_text_and_file_cannot_be_found_in_any_file_of_the_data_dir(
        app, client, post, new_thread, frozen_clock):
    data_dir = app.config["SETTINGS"].data_dir
    marker = "MARKER-7f3a9c2e-solidarity-thread"
    word = "qzindexed7f3a9c2"  # one token, as the search index stores it
    frozen_clock(T0)
    old = new_thread("soc", body=f"{marker} body {word}", subject=f"{marker} subject",
                     password="pw-" + marker, **with_file(4))
    post("soc", thread=old, body=f"reply {marker} {word}", name=f"{marker}name")
    frozen_clock(T0 + 10)
    new_thread("soc", body="this one stays, and is searched for")
    with app.app_context():
        tim = File.get().tim
    picture = (app.config["STORE"].root / "src" / f"{tim}.png").read_bytes()
    needles = [marker.encode(), word.encode(), tim.encode(), picture[-64:]]
    assert _hits(data_dir, needles), "the marker is stored before pruning"
    assert client.get(f"/search.json?q={word}").get_json()["matches"] == 2
    if is_sqlite_app(app):
        with app.app_context(), database.connection_context():
            in_index = database.execute_sql(
                "SELECT count(*) FROM post_fts_data WHERE instr(block, ?)", (word.encode(),))
            assert in_index.fetchone()[0] > 0, "the word is in the FTS5 shadow table"
    frozen_clock(T0 + 30 * DAY + 5)
    assert run_prune(app)["threads"] == 1
    assert client.get(f"/search.json?q={word}").get_json()["matches"] == 0
    assert client.get("/search.json?q=searched").get_json()["matches"] == 1
    assert _hits(data_dir, needles) == []
    with app.app_context(), database.connection_context():
        assert not fulltext.purge_due()
        if is_sqlite_app(app):
            check = "INSERT INTO post_fts(post_fts, rank) VALUES ('integrity-check', 1)"
            database.execute_sql(check)


def is_sqlite_app(app) -> bool:
    return app.config["SETTINGS"].database_url.startswith("sqlite")


def test_deleted_posts_leave_no_text_in_the_index_after_the_next_pass(app, client, post,
                                                                       new_thread, frozen_clock):
    """Deleting by password (no prune of the thread) also reaches the index's stored bytes."""
    if not is_sqlite_app(app):
        pytest.skip("PostgreSQL keeps deleted bytes until VACUUM reuses them (see the docs)")
    db_file = app.config["SETTINGS"].data_dir / "leftbook.db"
    word = "qzownpost5e1d0b"
    frozen_clock(T0)
    op = new_thread("soc", body="the thread stays")
    for n in range(30):  # enough posts for several index segments
        post("soc", thread=op, body=f"filler reply number {n} about the weather")
    mine = post("soc", thread=op, body=f"regrettable {word}", password="pw").get_json()["no"]
    deleted = client.post("/soc/delete", data={"post": str(mine), "password": "pw",
                                               "csrf_token": post.warm()},
                          headers={"Accept": "application/json"})
    assert deleted.get_json() == {"deleted": 1}
    assert client.get(f"/search.json?q={word}").get_json()["matches"] == 0
    with app.app_context(), database.connection_context():
        assert fulltext.purge_due()
    run_prune(app)
    files = [db_file, db_file.with_name("leftbook.db-wal")]
    assert not any(word.encode() in f.read_bytes() for f in files if f.exists())
    assert client.get("/search.json?q=weather").get_json()["matches"] == 30


def test_a_pass_that_finds_the_lock_taken_skips(app, new_thread, frozen_clock):
    frozen_clock(T0)
    new_thread("soc")
    frozen_clock(T0 + 31 * DAY)
    with app.app_context(), prune_lock() as held:
        assert held is not None
        assert run_prune(app) == {"skipped": 1}
    assert thread_numbers(app) != set()
    assert run_prune(app)["threads"] == 1


@pytest.fixture
def other_instance(app):
    """Hold the prune lock the way another instance on the same database would."""
    other = open_database(app.config["SETTINGS"].database_url)
    other.connect()

    def hold(expires: int) -> None:
        if isinstance(other, SqliteDatabase):
            other.execute_sql("INSERT INTO lock (name, holder, expires) VALUES (?, ?, ?)",
                              (PRUNE_LOCK, "another instance", expires))
        else:
            other.execute_sql("SELECT pg_advisory_lock(%s)", (ADVISORY_KEY,))

    yield hold
    other.close()


def test_a_pass_skips_while_another_instance_holds_the_lock(app, new_thread, frozen_clock,
                                                            other_instance):
    frozen_clock(T0)
    new_thread("soc")
    frozen_clock(T0 + 31 * DAY)
    other_instance(T0 + 31 * DAY + 60)
    assert run_prune(app) == {"skipped": 1}
    assert thread_numbers(app) != set()


def test_a_lock_row_left_by_a_crashed_instance_expires(app, new_thread, frozen_clock,
                                                      other_instance):
    if not app.config["SETTINGS"].database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL frees an advisory lock when its session ends")
    frozen_clock(T0)
    new_thread("soc")
    frozen_clock(T0 + 31 * DAY)
    other_instance(T0 + 31 * DAY - 1)
    assert run_prune(app)["threads"] == 1
    with app.app_context():
        assert Lock.select().count() == 0


def test_two_passes_started_at_once_do_not_both_run(app, new_thread, frozen_clock, monkeypatch):
    frozen_clock(T0)
    for _ in range(3):
        new_thread("soc")
    frozen_clock(T0 + 31 * DAY)
    inside, release = threading.Event(), threading.Event()
    real_unlink = retention.unlink_released

    def slow_unlink(*args):
        inside.set()
        assert release.wait(10)
        return real_unlink(*args)

    monkeypatch.setattr(retention, "unlink_released", slow_unlink)
    results = {}
    first = threading.Thread(target=lambda: results.update(first=run_prune(app)))
    first.start()
    try:
        assert inside.wait(10)
        results["second"] = run_prune(app)
    finally:
        release.set()
        first.join(20)
    assert results["second"] == {"skipped": 1}
    assert results["first"]["threads"] == 3


def test_a_pass_crashing_between_batches_leaves_a_consistent_database(
        app, post, new_thread, frozen_clock, monkeypatch):
    frozen_clock(T0)
    for seed in range(6):
        op = new_thread("soc", body=f"thread {seed}", **with_file(10 + seed))
        post("soc", thread=op, body="reply", **with_file(20 + seed))
    frozen_clock(T0 + 31 * DAY)
    real_delete = retention_threads.delete_threads
    calls = []

    def failing_delete(ids):
        calls.append(ids)
        if len(calls) == 3:
            raise RuntimeError("power cut")
        return real_delete(ids)

    monkeypatch.setattr(retention_threads, "delete_threads", failing_delete)
    with pytest.raises(RuntimeError):
        run_prune(app, batch_posts=2)
    assert len(thread_numbers(app)) == 4
    assert_consistent(app)
    monkeypatch.setattr(retention_threads, "delete_threads", real_delete)
    counts = run_prune(app, batch_posts=2)
    assert (counts["threads"], counts["posts"], counts["files"]) == (4, 8, 8)
    assert thread_numbers(app) == set() and stored_files(app) == set()


def test_files_left_by_a_crash_after_commit_are_swept_by_the_next_pass(
        app, new_thread, frozen_clock, monkeypatch):
    frozen_clock(T0)
    new_thread("soc", body="picture", **with_file(5))
    frozen_clock(T0 + 31 * DAY)

    def crash(*_args):
        raise RuntimeError("killed before unlinking")

    monkeypatch.setattr(FileStore, "remove_all", crash)
    with pytest.raises(RuntimeError):
        run_prune(app)
    with app.app_context():
        assert File.select().count() == 0 and Thread.select().count() == 0
    monkeypatch.undo()
    frozen_clock(T0 + 31 * DAY)
    assert run_prune(app, orphan_grace=0)["orphan_files"] == 2
    assert stored_files(app) == set()


def test_serve_schedule_prunes_in_the_background_and_stops(app, new_thread, frozen_clock,
                                                           monkeypatch):
    frozen_clock(T0)
    new_thread("soc")
    frozen_clock(T0 + 31 * DAY)
    schedule = prune_schedule(app.config["BOARDS"], app.config["STORE"], interval=0.05).start()
    try:
        deadline = time.monotonic() + 10
        while thread_numbers(app) and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        schedule.stop(timeout=10)
    assert thread_numbers(app) == set()
    assert not schedule.running
