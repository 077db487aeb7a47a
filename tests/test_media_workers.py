"""Uploads are cleaned in bounded worker processes: a hostile file costs one worker a bounded
amount of time and memory, never the server; a full pool says "busy" while pages and text
posts go on; refused files count against flood control."""

from __future__ import annotations

import dataclasses
import io
import os
import threading
import time
from dataclasses import replace

import pytest
from PIL import Image

from leftbook import create_app
from leftbook.database.models import File, Post
from leftbook.media import (
    FileLimits,
    PoolLimits,
    WorkerPool,
    clean_upload,
    process_upload,
    protocol,
)
from leftbook.media.image import verified
from leftbook.media.types import ProcessedImage
from leftbook.posting import uploads
from leftbook.refusal import Refusal
from tests.helpers import LOOSE, assert_rate_refused, flood_app, submit
from tests.images import photo

TOO_COSTLY = "too costly to process"


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def scan_bomb(size: int = 2000, repeats: int = 20_000) -> bytes:
    """The attack of issue 14: a progressive JPEG (304 KB) whose last scan is repeated
    20 000 times; libjpeg decodes every repetition over every block (46 s here)."""
    data = encoded(Image.new("RGB", (size, size), (120, 130, 140)), "JPEG", progressive=True)
    last_scan = data.rindex(b"\xff\xda")
    return data[:-2] + data[last_scan:-2] * repeats + data[-2:]


def webp_bomb(size: int = 6000) -> bytes:
    """A lossless WebP of 6000x6000 in 1.4 KB: 36 MP, under the pixel limit; re-encoding it
    took 720 MB of the server's memory, and the server kept 160 MB of it."""
    return encoded(Image.new("RGB", (size, size), "white"), "WEBP", lossless=True)


def good_jpeg(seed: int = 1) -> bytes:
    return encoded(photo(320, 240, seed=seed), "JPEG", quality=90)


def resident_mb() -> float:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


@pytest.fixture
def pools():
    """`pools(workers=1, ...)` makes a pool with those limits; it is closed after the test."""
    made: list[WorkerPool] = []

    def make(**limits) -> WorkerPool:
        made.append(WorkerPool(PoolLimits(**limits)))
        return made[-1]

    yield make
    for pool in made:
        pool.close()


def upload(client, data: bytes, body: str = "a file", name: str = "f.jpg", **fields):
    page = client.get("/soc/").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    return client.post("/soc/post", data={"body": body, "csrf_token": token, **fields,
                                         "file": (io.BytesIO(data), name)},
                       headers={"Accept": "application/json"},
                       content_type="multipart/form-data")


def assert_still_serving(app, client) -> None:
    """Pages are read, text and a good file are posted: the site and its pool are fine."""
    assert client.get("/soc/").status_code == 200
    assert upload(client, good_jpeg(7), body="still here").status_code == 200
    pool = app.config["MEDIA_WORKERS"]
    assert pool.admitted == 0


def test_the_progressive_jpeg_scan_bomb_is_refused_at_once(app, client):
    started = time.monotonic()
    response = upload(client, scan_bomb())
    elapsed = time.monotonic() - started
    assert response.status_code == 413, response.get_json()
    assert "scans" in response.get_json()["error"]
    assert elapsed < 10, f"refused from its headers, not after decoding ({elapsed:.1f} s)"
    with app.app_context():
        assert Post.select().count() == 0 and File.select().count() == 0


def test_scans_are_counted_in_the_headers_before_anything_is_decoded():
    with pytest.raises(Refusal) as refused:
        process_upload(scan_bomb(), FileLimits())
    assert refused.value.status == 413 and "more than 100 scans" in refused.value.message
    ordinary = encoded(photo(640, 480), "JPEG", progressive=True)
    assert process_upload(ordinary, FileLimits()).ext == ".jpg"


@pytest.mark.parametrize(("limit", "stopped_by"), [
    pytest.param({"cpu_seconds": 1, "wall_seconds": 300}, "SIGXCPU", id="cpu-time"),
    pytest.param({"cpu_seconds": 300, "wall_seconds": 1.5}, "wall-clock", id="wall-clock"),
])
def test_a_file_over_the_workers_time_limit_is_refused_and_the_site_keeps_serving(
        settings, pools, monkeypatch, caplog, limit, stopped_by):
    """The scan bomb with the scan limit lifted needs tens of seconds of decoding: the
    worker's RLIMIT_CPU or the server's deadline stops it (no timing asserted: a loaded
    machine only makes the wall-clock case come sooner)."""
    app = create_app({**settings, "MEDIA_WORKERS": pools(workers=1, **limit)})
    lifted = uploads.file_limits
    monkeypatch.setattr(uploads, "file_limits", lambda board: {
        **lifted(board), "image": replace(lifted(board)["image"], max_jpeg_scans=10**6)})
    client = app.test_client()
    response = upload(client, scan_bomb())
    assert response.status_code == 422, response.get_json()
    assert TOO_COSTLY in response.get_json()["error"]
    assert stopped_by in caplog.text
    assert_still_serving(app, client)


def test_a_file_over_the_workers_memory_limit_is_refused_and_the_site_keeps_serving(
        settings, pools):
    app = create_app({**settings, "MEDIA_WORKERS": pools(workers=1, memory_bytes=400 << 20)})
    client = app.test_client()
    response = upload(client, webp_bomb(), name="tiny.webp")
    assert response.status_code == 422, response.get_json()
    assert TOO_COSTLY in response.get_json()["error"]
    assert_still_serving(app, client)


def test_a_huge_lossless_webp_costs_the_server_no_memory(app, client):
    """With the site's own pool: refused or cleaned in a worker; the server's resident
    memory stays where it was, during the upload and after it."""
    assert upload(client, good_jpeg(), body="warm up").status_code == 200
    bomb = webp_bomb()
    before = resident_mb()
    peak, done = [before], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], resident_mb())
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        response = upload(client, bomb, name="tiny.webp")
    finally:
        done.set()
        sampler.join()
    assert response.status_code in (200, 422), response.get_json()
    if response.status_code == 422:
        assert TOO_COSTLY in response.get_json()["error"]
    assert peak[0] - before < 60, f"server memory grew {peak[0] - before:.0f} MB"
    assert resident_mb() - before < 40


def test_a_full_pool_says_busy_while_pages_and_text_posts_go_on(settings, pools,
                                                                monkeypatch):
    pool = pools(workers=1, queue=1, retry_after=7)
    app = create_app({**settings, "MEDIA_WORKERS": pool})
    release, entered = threading.Event(), threading.Semaphore(0)
    run = pool._run

    def held(*args, **kwargs):
        entered.release()
        release.wait(30)
        return run(*args, **kwargs)

    monkeypatch.setattr(pool, "_run", held)
    statuses: list[int] = []
    senders = [threading.Thread(target=lambda seed=seed: statuses.append(
        upload(app.test_client(), good_jpeg(seed)).status_code)) for seed in (1, 2)]
    for sender in senders:
        sender.start()
    try:
        assert entered.acquire(timeout=30)
        deadline = time.monotonic() + 30
        while pool.admitted < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert pool.admitted == 2, "one job runs, one waits"
        client = app.test_client()
        busy = upload(client, good_jpeg(3))
        assert busy.status_code == 503
        assert "busy" in busy.get_json()["error"] and busy.get_json()["retry_after"] == 7
        assert client.get("/soc/").status_code == 200
        text = client.post("/soc/post", data={"body": "just words", "csrf_token": token(client)},
                           headers={"Accept": "application/json"},
                           content_type="multipart/form-data")
        assert text.status_code == 200, "posting text does not wait for the pool"
    finally:
        release.set()
        for sender in senders:
            sender.join(60)
    assert sorted(statuses) == [200, 200]
    assert pool.admitted == 0


def token(client) -> str:
    page = client.get("/soc/").get_data(as_text=True)
    return page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def test_refused_files_count_against_the_posters_flood_limit(settings, frozen_clock):
    """Issue 14: 19 refused uploads in a row met no limit at all."""
    frozen_clock(1_800_000_000)
    app = flood_app(settings, replace(LOOSE, refused_files_per_minute=3))
    client = app.test_client()
    assert submit(client).status_code == 200  # the browser has a known poster token now
    for _ in range(3):
        refused = submit(client, body="my flyer", file=(io.BytesIO(b"not a picture"), "a.jpg"))
        assert refused.status_code == 415
    assert_rate_refused(submit(client, body="my flyer", file=(io.BytesIO(good_jpeg()), "a.jpg")),
                        60, "files were refused")
    other = submit(app.test_client(), body="my flyer", file=(io.BytesIO(good_jpeg()), "a.jpg"))
    assert other.status_code == 200, "another browser is not held back; the text is no duplicate"
    frozen_clock(1_800_000_060)
    assert submit(client, file=(io.BytesIO(good_jpeg(2)), "a.jpg")).status_code == 200


@pytest.mark.parametrize(("limit", "words"), [
    ({"newcomer_per_minute": 3}, "new visitors"),
    ({"board_per_minute": 3}, "/soc/"),
])
def test_refused_files_count_against_the_shared_rates(settings, frozen_clock, limit, words):
    frozen_clock(1_800_000_000)
    app = flood_app(settings, replace(LOOSE, **limit))
    for _ in range(3):  # new visitors without a cookie, each with a file that is refused
        bad = submit(app.test_client(), file=(io.BytesIO(scan_bomb(64, 200)), "a.jpg"))
        assert bad.status_code == 413
    assert_rate_refused(submit(app.test_client()), 60, words)


def test_a_workers_answer_is_checked_not_trusted():
    result = process_upload(good_jpeg(), FileLimits())
    header, blobs = protocol.result(result)
    assert protocol.read_result(ProcessedImage, header, blobs) == result
    lying = {**header, "fields": {**header["fields"], "w": "640"}}
    with pytest.raises(protocol.ProtocolError):
        protocol.read_result(ProcessedImage, lying, blobs)
    forged = dataclasses.replace(result, tim="../../secret_key", md5="x", fsize=1)
    assert verified(forged) == result
    with pytest.raises(ValueError):
        verified(dataclasses.replace(result, ext=".php"))


def test_workers_start_on_demand_and_none_outlives_its_pool(pools):
    pool = pools(workers=2)
    assert clean_upload(good_jpeg(), FileLimits(), pool).ext == ".jpg"
    children = [worker.process.pid for worker in pool._idle]
    assert len(children) == 1, "one job starts one worker"
    truncated = good_jpeg()[:1500]
    with pytest.raises(Refusal) as refused:
        clean_upload(truncated, FileLimits(), pool)
    assert refused.value.status == 400 and "truncated" in refused.value.message
    assert [worker.process.pid for worker in pool._idle] == children, "a refusal is no crash"
    pool.close()
    for pid in children:
        assert not os.path.exists(f"/proc/{pid}"), "stopped and reaped"
    assert clean_upload(good_jpeg(), FileLimits(), pool).ext == ".jpg", "usable again"
