"""Two `leftbook serve` processes on one PostgreSQL database and one shared data dir.

They share the secrets (so a CSRF/session cookie made by one is good on the other) and the
`files/` store; each keeps its own in-memory page cache, validated by the database.
"""

import subprocess
import sys
import threading
import time

import pytest
import requests

from leftbook.database import database
from leftbook.database.models import FloodEvent, Post, Thread
from tests.helpers import CSRF_INPUT, TEST_DATABASE_URL
from tests.serving import LEFTBOOK, running_site, server_env, stop

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs LEFTBOOK_TEST_DATABASE_URL "
                       "(the PostgreSQL pass of `bash scripts/run test`)"),
]

START_SECONDS = 30
WORKERS = 6
POSTS_PER_WORKER = 12
HOLD_LOCK = """
import pathlib, sys, time
from leftbook import create_app
from leftbook.database import database
from leftbook.retention.lock import prune_lock
app = create_app()
result, release = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
with app.app_context(), database.connection_context(), prune_lock() as lock:
    result.write_text("held" if lock is not None else "skipped")
    deadline = time.monotonic() + 30
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
"""


@pytest.fixture
def instances(app, tmp_path):
    """Base URLs of two serving instances; `app` (same database, same data dir) made the
    schema and the secrets first, so the two processes cannot race to make different ones."""
    settings = {"LEFTBOOK_DATABASE_URL": TEST_DATABASE_URL, "LEFTBOOK_PRUNE_INTERVAL": "3600"}
    data_dir = app.config["SETTINGS"].data_dir
    with (running_site(tmp_path, data_dir=data_dir, **settings) as first,
          running_site(tmp_path, data_dir=data_dir, **settings) as second):
        yield [first.base, second.base]


def new_session(base: str) -> tuple[requests.Session, str]:
    session = requests.Session()
    token = CSRF_INPUT.search(session.get(f"{base}/soc/", timeout=10).text).group(1)
    return session, token


def submit(session: requests.Session, token: str, base: str, board: str, body: str,
           thread: int | None = None) -> requests.Response:
    fields = {"csrf_token": token, "body": body}
    if thread is not None:
        fields["thread"] = str(thread)
    return session.post(f"{base}/{board}/post", files={k: (None, v) for k, v in fields.items()},
                        headers={"Accept": "application/json"}, timeout=30)


def test_concurrent_posts_through_both_are_all_stored_once_with_unique_numbers(app, instances):
    opener, token = new_session(instances[0])
    threads = [submit(opener, token, instances[0], "soc", f"thread {n}").json()["no"]
               for n in range(2)]
    acknowledged: list[tuple[str, int | None, int, str]] = []
    refused: list[str] = []
    lock = threading.Lock()

    def worker(w: int) -> None:
        session, csrf = new_session(instances[w % 2])
        for k in range(POSTS_PER_WORKER):
            base = instances[(w + k) % 2]  # the cookie from one instance is good on the other
            board, thread = ("theory", None) if k % 6 == 5 else ("soc", threads[k % 2])
            body = f"worker {w} post {k}"
            response = submit(session, csrf, base, board, body, thread)
            with lock:
                if response.status_code == 200:
                    acknowledged.append((board, thread, response.json()["no"], body))
                else:
                    refused.append(f"{response.status_code} {response.text[:200]}")

    pool = [threading.Thread(target=worker, args=(w,)) for w in range(WORKERS)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in pool), "posting did not finish in time"
    assert refused == []
    assert len(acknowledged) == WORKERS * POSTS_PER_WORKER

    with app.app_context(), database.connection_context():
        stored = list(Post.select(Post.board, Post.no, Post.body).tuples())
        for thread_no in threads:
            thread = Thread.get(Thread.board == "soc", Thread.no == thread_no)
            assert thread.replies == Post.select().where(Post.thread == thread).count() - 1
    for board in ("soc", "theory"):
        numbers = [no for b, no, _ in stored if b == board]
        assert len(numbers) == len(set(numbers))
    for board, _, no, body in acknowledged:
        assert [(b, n) for b, n, text in stored if text == body] == [(board, no)]
    for base in instances:
        api = requests.get(f"{base}/soc/res/{threads[0]}.json", timeout=10).json()
        replies = {no for _, thread, no, _ in acknowledged if thread == threads[0]}
        assert replies | {threads[0]} == {p["no"] for p in api["posts"]}


def test_a_post_through_one_is_visible_at_once_through_the_other(instances):
    first, second = instances
    session, token = new_session(first)
    op = submit(session, token, first, "soc", "an opening post").json()["no"]
    page_url, api_url = f"{second}/soc/res/{op}.html", f"{second}/soc/res/{op}.json"
    cached_page = requests.get(page_url, timeout=10)
    cached_api = requests.get(api_url, timeout=10)
    assert cached_page.status_code == 200 and cached_api.status_code == 200
    assert requests.get(f"{second}/soc/", timeout=10).status_code == 200

    reply = submit(session, token, first, "soc", "seen everywhere", op).json()["no"]
    assert f'id="p{reply}"' in requests.get(page_url, timeout=10).text
    assert reply in [p["no"] for p in requests.get(api_url, timeout=10).json()["posts"]]
    assert "seen everywhere" in requests.get(f"{second}/soc/", timeout=10).text
    revalidated = requests.get(api_url, headers={"If-None-Match": cached_api.headers["ETag"]},
                               timeout=10)
    assert revalidated.status_code == 200

    answer = submit(session, token, second, "soc", f">>{reply} yes", op).json()["no"]
    assert answer == reply + 1
    assert f'id="p{answer}"' in requests.get(f"{first}/soc/res/{op}.html", timeout=10).text


def test_only_one_prune_pass_at_a_time_across_processes(app, tmp_path):
    env = server_env(app.config["SETTINGS"].data_dir,
                     LEFTBOOK_DATABASE_URL=TEST_DATABASE_URL)
    release = tmp_path / "release"
    prune = [LEFTBOOK, "prune"]
    results = [tmp_path / "result0", tmp_path / "result1"]
    holders = [subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(r), str(release)],
                                env=env, cwd=tmp_path) for r in results]
    try:
        deadline = time.monotonic() + START_SECONDS
        while not all(r.exists() for r in results):
            assert time.monotonic() < deadline, "the lock holders did not report in time"
            assert all(h.poll() is None for h in holders)
            time.sleep(0.05)
        held = [r.read_text() for r in results]
        assert sorted(held) == ["held", "skipped"]

        with app.app_context(), database.connection_context():
            FloodEvent.create(kind="post", key="site", time=0)
        blocked = subprocess.run(prune, env=env, cwd=tmp_path, capture_output=True, text=True,
                                 timeout=60)
        assert blocked.returncode == 0, blocked.stderr
        assert "another prune pass is running" in blocked.stdout
        with app.app_context(), database.connection_context():
            assert FloodEvent.select().count() == 1
    finally:
        release.touch()
        for holder in holders:
            stop(holder)
    pruned = subprocess.run(prune, env=env, cwd=tmp_path, capture_output=True, text=True,
                            timeout=60)
    assert "flood_events=1" in pruned.stdout, pruned.stdout + pruned.stderr
    with app.app_context(), database.connection_context():
        assert FloodEvent.select().count() == 0
