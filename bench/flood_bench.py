"""Flood bench (loopback only): captcha image time, and page latency while a flood is refused.

Starts `leftbook serve --no-onion` on a free port with LEFTBOOK_FLOOD=on, then runs many
posters (each a thread with its own cookie jar: CSRF session, poster token) hammering one
board while readers fetch pages and time them. tests/test_flood_load.py uses the same
driver with a smaller, bounded run.

    .venv/bin/python bench/flood_bench.py [--posters 40] [--seconds 20] [--readers 4]
"""

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

LEFTBOOK = str(Path(sys.executable).parent / "leftbook")
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
START_SECONDS = 30
REQUEST_TIMEOUT = 15


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_site(data_dir: Path, extra_env: dict[str, str] | None = None
               ) -> tuple[subprocess.Popen, str]:
    """Start `leftbook serve` on loopback; returns (process, base URL) once it answers."""
    port = free_port()
    env = {**os.environ, "LEFTBOOK_DATA_DIR": str(data_dir), "LEFTBOOK_TOR": "off",
           "LEFTBOOK_FLOOD": "on", "LEFTBOOK_CAPTCHA": "off", **(extra_env or {})}
    process = subprocess.Popen([LEFTBOOK, "serve", "--no-onion", "--port", str(port)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            requests.get(base + "/", timeout=2)
            return process, base
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                stop_site(process)
                raise RuntimeError("leftbook serve did not start") from None
            time.sleep(0.2)


def stop_site(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@dataclass
class FloodResult:
    accepted: list[tuple[int, int]] = field(default_factory=list)  # (thread, no)
    accepted_threads: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    retry_after_missing: int = 0
    read_ms: list[float] = field(default_factory=list)
    read_failures: int = 0
    errors: int = 0

    def summary(self) -> dict:
        reads = sorted(self.read_ms)
        return {
            "posts_attempted": sum(self.statuses.values()) + self.errors,
            "posts_accepted": len(self.accepted), "threads_accepted": self.accepted_threads,
            "statuses": dict(sorted(self.statuses.items())), "transport_errors": self.errors,
            "reads": len(reads), "read_failures": self.read_failures,
            "read_ms_median": round(statistics.median(reads), 1) if reads else None,
            "read_ms_p95": round(reads[int(len(reads) * 0.95) - 1], 1) if reads else None,
            "read_ms_max": round(reads[-1], 1) if reads else None,
        }


def _poster(base: str, board: str, index: int, stop_at: float, max_posts: int,
            result: FloodResult, lock: threading.Lock) -> None:
    session = requests.Session()
    thread_no = None
    for attempt in range(max_posts):
        if time.monotonic() >= stop_at:
            return
        try:
            page = session.get(f"{base}/{board}/", timeout=REQUEST_TIMEOUT)
            data = {"csrf_token": CSRF_INPUT.search(page.text).group(1),
                    "body": "spam wave, same text" if attempt % 3 == 2
                    else f"poster {index} post {attempt}"}
            if thread_no is not None and attempt % 2:
                data["thread"] = str(thread_no)
            response = session.post(f"{base}/{board}/post", data=data,
                                    headers={"Accept": "application/json"},
                                    timeout=REQUEST_TIMEOUT)
        except (requests.RequestException, AttributeError):
            with lock:
                result.errors += 1
            continue
        with lock:
            result.statuses[response.status_code] = result.statuses.get(
                response.status_code, 0) + 1
            if response.status_code == 200:
                made = response.json()
                result.accepted.append((made["thread"], made["no"]))
                result.accepted_threads += made["thread"] == made["no"]
                thread_no = made["thread"]
            elif response.status_code == 429 and "Retry-After" not in response.headers:
                result.retry_after_missing += 1


def _reader(base: str, paths: list[str], stop_at: float, result: FloodResult,
            lock: threading.Lock) -> None:
    session = requests.Session()
    turn = 0
    while time.monotonic() < stop_at:
        path = paths[turn % len(paths)]
        turn += 1
        started = time.perf_counter()
        try:
            ok = session.get(base + path, timeout=REQUEST_TIMEOUT).status_code == 200
        except requests.RequestException:
            ok = False
        elapsed = (time.perf_counter() - started) * 1000
        with lock:
            if ok:
                result.read_ms.append(elapsed)
            else:
                result.read_failures += 1
        time.sleep(0.05)


def run_flood(base: str, *, board: str = "soc", posters: int = 20, readers: int = 2,
              seconds: float = 8, max_posts_each: int = 200,
              read_paths: list[str] | None = None) -> FloodResult:
    """Hammer `board` with `posters` concurrent posters for at most `seconds`; time reads."""
    result, lock = FloodResult(), threading.Lock()
    stop_at = time.monotonic() + seconds
    paths = read_paths or ["/", f"/{board}/", f"/{board}/catalog.html", "/theory/"]
    workers = [threading.Thread(target=_poster, args=(base, board, i, stop_at, max_posts_each,
                                                      result, lock)) for i in range(posters)]
    workers += [threading.Thread(target=_reader, args=(base, paths, stop_at, result, lock))
                for _ in range(readers)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=seconds + 2 * REQUEST_TIMEOUT)
    return result


def quiet_read_ms(base: str, paths: list[str], rounds: int = 20) -> float:
    """Median latency of the same pages with no flood, for comparison."""
    session, times = requests.Session(), []
    for _ in range(rounds):
        for path in paths:
            started = time.perf_counter()
            session.get(base + path, timeout=REQUEST_TIMEOUT)
            times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def captcha_image_ms(rounds: int) -> dict:
    from leftbook.abuse import captcha

    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        captcha.render_image("AB3XYK")
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"rounds": rounds, "median_ms": round(statistics.median(times), 2),
            "p95_ms": round(times[int(rounds * 0.95) - 1], 2), "max_ms": round(times[-1], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posters", type=int, default=40)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--captcha-rounds", type=int, default=200)
    args = parser.parse_args()
    report = {"captcha_image": captcha_image_ms(args.captcha_rounds)}
    with tempfile.TemporaryDirectory(prefix="leftbook-flood-") as tmp:
        process, base = start_site(Path(tmp) / "data")
        try:
            paths = ["/", "/soc/", "/soc/catalog.html", "/theory/"]
            report["quiet_read_ms_median"] = quiet_read_ms(base, paths)
            flood = run_flood(base, posters=args.posters, readers=args.readers,
                              seconds=args.seconds, read_paths=paths)
            report["flood"] = {"posters": args.posters, "seconds": args.seconds,
                               **flood.summary()}
        finally:
            stop_site(process)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
