"""Page reads during a posting flood against reads in quiet, for bench/pages.py.

The server runs with flood control on, on a copy of the checkout's data dir. The posters
(flood_bench.run_flood: each its own cookies, a page then a post, as fast as answers come)
run in a child process, so that the reader's timings are the server's, not those of the
poster threads' share of this process's interpreter lock.
"""

import multiprocessing
import shutil
import statistics
import time

import requests
from flood_bench import run_flood

READ_PAUSE = 0.05


def _posters(base: str, posters: int, seconds: float, out) -> None:
    result = run_flood(base, posters=posters, readers=0, seconds=seconds)
    out.put(result.summary())


def _read(base: str, paths: list[str], seconds: float) -> list[float]:
    """A reader (one browser: keep-alive, gzip) reading the pages in turn."""
    session, times, turn = requests.Session(), [], 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        response = session.get(base + paths[turn % len(paths)], timeout=30)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"a read gave {response.status_code}")
        turn += 1
        time.sleep(READ_PAUSE)
    return times


def _p(times: list[float], share: float) -> float:
    ordered = sorted(times)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * share))], 1)


def flood_reads(server, paths: list[str], posters: int, seconds: int) -> dict:
    from servers import Server, clone_database, drop_database

    data = server.data.parent / f"{server.data.name}-flood"
    shutil.copytree(server.data, data, ignore=shutil.ignore_patterns("serve-*.log"))
    url = clone_database(server.database_url, "flood") if server.database_url else None
    site = Server(server.name, server.code, data, server.threads, url,
                  LEFTBOOK_FLOOD="on").start()
    try:
        _read(site.base, paths, 2)  # warm the page cache
        quiet = _read(site.base, paths, seconds / 2)
        queue = multiprocessing.Queue()
        child = multiprocessing.Process(target=_posters,
                                        args=(site.base, posters, seconds, queue))
        child.start()
        time.sleep(1)  # the posters are under way
        flood = _read(site.base, paths, seconds - 2)
        posted = queue.get(timeout=seconds + 120)
        child.join(timeout=60)
    finally:
        site.stop()
        shutil.rmtree(data, ignore_errors=True)
        if url:
            drop_database(url)
    quiet_p50, flood_p50 = statistics.median(quiet), statistics.median(flood)
    return {"posters": posters, "quiet_p50_ms": round(quiet_p50, 1),
            "flood_p50_ms": round(flood_p50, 1), "ratio": round(flood_p50 / quiet_p50, 2),
            "quiet_p95_ms": _p(quiet, 0.95), "flood_p95_ms": _p(flood, 0.95),
            "reads": [len(quiet), len(flood)],
            "posts": f"{posted['posts_accepted']} of {posted['posts_attempted']} posts "
                     f"accepted, statuses {posted['statuses']}"}
