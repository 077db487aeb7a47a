"""Measure a running `leftbook serve` on a data dir made by bench/fill.py (loopback only).

Pages: a board index and the 300-reply thread, as a first visit (no cookies, full page)
and as a revalidation (the reader's cookie and `If-None-Match`, answered 304), with wrk
when it is installed, else with a threaded Python client. Posting: real replies through
the form (CSRF token, multipart) by a few Python clients.

    .venv/bin/python bench/pages.py --data-dir /tmp/leftbook-bench-1000000
"""

import argparse
import itertools
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import requests

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
WRK_LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$", re.MULTILINE)
WRK_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
WRK_TOTAL = re.compile(r"(\d+) requests in")
WRK_BAD = re.compile(r"Non-2xx or 3xx responses: (\d+)")
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
START_SECONDS = 120


@dataclass
class Result:
    name: str
    requests: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    statuses: dict[str, int] = field(default_factory=dict)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(data_dir: Path, port: int, threads: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEFTBOOK_")}
    env.update(LEFTBOOK_DATA_DIR=str(data_dir), LEFTBOOK_BOARDS_DIR=str(data_dir / "boards"),
               LEFTBOOK_TOR="off", LEFTBOOK_FLOOD="off", LEFTBOOK_CAPTCHA="off")
    leftbook = Path(sys.executable).parent / "leftbook"
    with (data_dir / "serve.log").open("wb") as log:
        return subprocess.Popen(
            [str(leftbook), "serve", "--port", str(port), "--threads", str(threads),
             "--no-onion"], env=env, cwd=data_dir, stdout=log, stderr=subprocess.STDOUT,
        )


def wait_until_serving(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"leftbook serve exited with {process.returncode}")
        try:
            requests.get(url, timeout=5).raise_for_status()
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise SystemExit(f"leftbook serve did not answer {url} within {START_SECONDS}s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def run_wrk(name: str, url: str, headers: dict[str, str], seconds: int,
            connections: int) -> Result:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
               "--latency", url]
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True,
                            timeout=seconds + 60).stdout
    latency = {p: float(v) * UNIT_MS[u] for p, v, u in WRK_LATENCY.findall(output)}
    bad = WRK_BAD.search(output)
    return Result(name, int(WRK_TOTAL.search(output).group(1)),
                  float(WRK_RATE.search(output).group(1)), latency["50"], latency["99"],
                  {"non-2xx/3xx": int(bad.group(1))} if bad else {})


def run_clients(name: str, make_client: Callable[[], Callable[[], int]], total: int,
                workers: int, seconds: int) -> Result:
    """`workers` threads, each with its own client, send up to `total` requests in `seconds`."""
    latencies: list[float] = []
    statuses: Counter = Counter()
    lock = threading.Lock()
    tickets = itertools.count()
    deadline = time.monotonic() + seconds

    def work() -> None:
        send = make_client()
        while next(tickets) < total and time.monotonic() < deadline:
            started = time.perf_counter()
            status = send()
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed * 1000)
                statuses[str(status)] += 1

    began = time.perf_counter()
    pool = [threading.Thread(target=work, daemon=True) for _ in range(workers)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=seconds + 60)
    wall = time.perf_counter() - began
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return Result(name, len(latencies), len(latencies) / wall, cuts[49], cuts[98],
                  dict(statuses))


def getter(url: str, headers: dict[str, str]) -> Callable[[], Callable[[], int]]:
    def make() -> Callable[[], int]:
        session = requests.Session()
        return lambda: session.get(url, headers=headers, timeout=30).status_code

    return make


def measure_page(name: str, url: str, seconds: int, connections: int) -> list[Result]:
    """A first visit and a revalidation of `url`, after checking the revalidation gives 304."""
    reader = requests.Session()
    first = reader.get(url, timeout=30)
    first.raise_for_status()
    revalidate = {"Cookie": "; ".join(f"{c.name}={c.value}" for c in reader.cookies),
                  "If-None-Match": first.headers["ETag"]}
    check = requests.get(url, headers=revalidate, timeout=30)
    if check.status_code != 304:
        raise SystemExit(f"revalidating {url} gave {check.status_code}, not 304")
    print(f"{name}: {len(first.content)} bytes", flush=True)
    cases = [(f"{name} GET", {}), (f"{name} 304", revalidate)]
    if shutil.which("wrk"):
        return [run_wrk(case, url, headers, seconds, connections) for case, headers in cases]
    return [run_clients(case, getter(url, headers), 10**9, connections, seconds)
            for case, headers in cases]


def poster(base: str, board: str, threads: list[int]) -> Callable[[], Callable[[], int]]:
    """Clients that reply through the real form, each with its own cookies and CSRF token."""

    def make() -> Callable[[], int]:
        session = requests.Session()
        page = session.get(f"{base}/{board}/res/{threads[0]}.html", timeout=30)
        token = CSRF_INPUT.search(page.text).group(1)
        rng = random.Random()

        def send() -> int:
            thread = rng.choice(threads)
            fields = {"csrf_token": token, "thread": str(thread), "name": "", "options": "",
                      "body": f">>{thread}\nbenchmark reply {rng.getrandbits(32):08x}"}
            response = session.post(
                f"{base}/{board}/post", files={k: (None, v) for k, v in fields.items()},
                headers={"Accept": "application/json"}, timeout=60,
            )
            return response.status_code

        return send

    return make


def report(results: list[Result]) -> None:
    print(f"{'case':<24}{'requests':>10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}  statuses")
    for r in results:
        print(f"{r.name:<24}{r.requests:>10}{r.requests_per_second:>10.1f}"
              f"{r.p50_ms:>10.2f}{r.p99_ms:>10.2f}  {r.statuses or ''}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="made by bench/fill.py")
    parser.add_argument("--seconds", type=int, default=10, help="per page measurement")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--server-threads", type=int, default=8)
    parser.add_argument("--posts", type=int, default=300, help="replies to post")
    parser.add_argument("--post-clients", type=int, default=4)
    parser.add_argument("--out", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()
    summary = json.loads((args.data_dir / "bench.json").read_text())
    big = summary["big_thread"]
    reply_board = next(b for b in reversed(list(summary["threads"])) if b != big["board"])
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = start_server(args.data_dir, port, args.server_threads)
    try:
        wait_until_serving(f"{base}/", process)
        results = measure_page(f"/{big['board']}/ index", f"{base}/{big['board']}/",
                               args.seconds, args.connections)
        results += measure_page(f"{big['replies']}-reply thread",
                                f"{base}/{big['board']}/res/{big['no']}.html",
                                args.seconds, args.connections)
        results.append(run_clients(
            f"POST reply /{reply_board}/",
            poster(base, reply_board, summary["threads"][reply_board][:10]),
            args.posts, args.post_clients, max(args.seconds * 6, 60),
        ))
    finally:
        stop(process)
    print(f"{summary['posts']} stored posts")
    report(results)
    if args.out:
        args.out.write_text(json.dumps({"posts": summary["posts"],
                                        "results": [asdict(r) for r in results]}, indent=1))


if __name__ == "__main__":
    main()
