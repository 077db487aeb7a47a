"""Time and memory of one prune pass over N posts, and how long concurrent requests waited.

For each N, bench/fill.py bulk-inserts N posts into a fresh data dir (a subprocess), then a
second subprocess opens the site on it and runs one pass with every thread expired
(`thread_ttl` of one hour on every board; the filled threads are older), while two threads
of the same process keep working: a reader fetching board index pages (/soc/, /theory/) in
a loop, and a writer starting new threads on /theory/ through the domain function. It
prints the pass's counts, wall time, peak RSS, and the reader's and writer's waits.

    .venv/bin/python bench/prune_bench.py --posts 100000 --posts 1000000
"""

import argparse
import dataclasses
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPIRED_TTL = 3600
BASELINE_SECONDS = 2.0
WRITER_PAUSE = 0.05


class Sampler(threading.Thread):
    """Repeats `action()` until stopped, recording each call's duration and outcome."""

    def __init__(self, action, pause: float = 0.0) -> None:
        super().__init__(daemon=True)
        self.action, self.pause = action, pause
        self.samples: list[tuple[float, float, str]] = []  # (start, seconds, outcome)
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            started = time.monotonic()
            try:
                outcome = str(self.action())
            except Exception as exc:
                outcome = type(exc).__name__
            self.samples.append((started, time.monotonic() - started, outcome))
            if self.pause:
                self.halt.wait(self.pause)

    def summary(self, start: float, end: float) -> dict:
        waits = sorted(s for t, s, _ in self.samples if start <= t < end)
        outcomes: dict[str, int] = {}
        for t, _, outcome in self.samples:
            if start <= t < end:
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if not waits:
            return {"requests": 0}
        return {
            "requests": len(waits),
            "median_ms": round(statistics.median(waits) * 1000, 1),
            "p99_ms": round(waits[int(len(waits) * 0.99) - 1 if len(waits) > 1 else 0] * 1000, 1),
            "max_ms": round(waits[-1] * 1000, 1),
            "outcomes": outcomes,
        }


def database_bytes(data_dir: Path) -> int:
    return sum(p.stat().st_size for p in data_dir.glob("leftbook.db*"))


def measure(data_dir: Path) -> dict:
    """Run in a fresh process: open the site on `data_dir` and prune it under load."""
    from leftbook import create_app
    from leftbook.database import database
    from leftbook.posting import posts
    from leftbook.retention import prune as retention

    app = create_app({
        "LEFTBOOK_DATA_DIR": str(data_dir), "LEFTBOOK_BOARDS_DIR": str(data_dir / "boards"),
        "LEFTBOOK_TOR": "off", "LEFTBOOK_FLOOD": "off", "LEFTBOOK_CAPTCHA": "off",
    })
    boards = app.config["BOARDS"]
    expired = {slug: dataclasses.replace(b, thread_ttl=EXPIRED_TTL) for slug, b in boards.items()}
    site = posts.PostingSite(tripcode_secret=app.config["SECRETS"].tripcode_secret,
                             store=app.config["STORE"])
    client = app.test_client()
    def read_page() -> int:
        slug = "soc" if len(reader.samples) % 2 else "theory"
        return client.get(f"/{slug}/").status_code

    def write_thread() -> str:
        with database.connection_context():
            posts.create_post(boards["theory"], posts.PostInput(body="a new thread"), site,
                              boards)
        return "posted"

    reader, writer = Sampler(read_page), Sampler(write_thread, WRITER_PAUSE)
    size_before = database_bytes(data_dir)
    reader.start()
    writer.start()
    time.sleep(BASELINE_SECONDS)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    with database.connection_context():
        counts = retention.prune(expired, app.config["STORE"])
    ended = time.monotonic()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for sampler in (reader, writer):
        sampler.halt.set()
        sampler.join(30)
    baseline_start = started - BASELINE_SECONDS
    return {
        "counts": counts,
        "pass_seconds": round(ended - started, 2),
        "peak_rss_mib_before_pass": round(rss_before / 1024, 1),
        "peak_rss_mib_after_pass": round(rss_after / 1024, 1),
        "database_mib_before": round(size_before / 2**20, 1),
        "database_mib_after": round(database_bytes(data_dir) / 2**20, 1),
        "reader_before_pass": reader.summary(baseline_start, started),
        "reader_during_pass": reader.summary(started, ended),
        "writer_before_pass": writer.summary(baseline_start, started),
        "writer_during_pass": writer.summary(started, ended),
    }


def bench(posts: int, keep: bool) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix=f"leftbook-prune-{posts}-")) / "data"
    try:
        started = time.monotonic()
        subprocess.run([sys.executable, str(ROOT / "bench" / "fill.py"), "--posts", str(posts),
                        "--data-dir", str(data_dir)], check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL)
        filled = time.monotonic() - started
        result = subprocess.run([sys.executable, __file__, "--measure", str(data_dir)],
                                check=True, cwd=ROOT, capture_output=True, text=True)
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        return {"posts_filled": posts, "fill_seconds": round(filled, 1), **figures}
    finally:
        if not keep:
            shutil.rmtree(data_dir.parent, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, action="append",
                        help="posts to fill and prune (repeatable; default 100000)")
    parser.add_argument("--keep", action="store_true", help="keep the data dirs")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    for posts in args.posts or [100_000]:
        print(json.dumps(bench(posts, args.keep), indent=2), flush=True)


if __name__ == "__main__":
    main()
