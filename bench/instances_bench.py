"""Posts and page requests per second: one instance on SQLite, one and two on PostgreSQL.

Loopback only, bounded. Each case gets a fresh data dir (and, on PostgreSQL, a fresh
schema in a throwaway cluster started with scripts/pg-test-server and stopped after). Two
instances share one data dir (secrets and files/), as docs/scaling.md describes. Posting:
replies through the real form by Python clients, spread over every instance, first into
one board, then over every board. Pages: wrk (apt-get install wrk) on a board index and a
thread, one wrk per instance at once, rates summed. PostgreSQL runs both with a connection
per request (`postgresql://`) and with peewee's pool (`postgresql+pool://`).

    .venv/bin/python bench/instances_bench.py [--seconds 10] [--posts 150]
"""

import argparse
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
LEFTBOOK = Path(sys.executable).parent / "leftbook"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
WRK_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
WRK_BAD = re.compile(r"Non-2xx or 3xx responses: (\d+)")
BOARDS = ("theory", "soc", "orgs", "events", "meta")
START_SECONDS = 60


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_postgres() -> tuple[str, str]:
    """A throwaway cluster: (database URL, its directory for stopping it)."""
    script = subprocess.run(["bash", str(ROOT / "scripts" / "pg-test-server"), "start"],
                            capture_output=True, text=True, check=True, timeout=120).stdout
    values = dict(re.findall(r"export (\w+)=(\S+)", script))
    return values["LEFTBOOK_TEST_DATABASE_URL"], values["PG_TEST_DIR"]


def reset_schema(url: str) -> None:
    from playhouse.db_url import connect

    db = connect(url.replace("+pool", "").split("?")[0])
    with db.connection_context():
        db.execute_sql("DROP SCHEMA public CASCADE")
        db.execute_sql("CREATE SCHEMA public")


class Site:
    """`count` `leftbook serve` processes on one data dir and one database."""

    def __init__(self, data_dir: Path, database_url: str | None, count: int,
                 threads: int) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("LEFTBOOK_")}
        self.env.update(LEFTBOOK_DATA_DIR=str(data_dir), LEFTBOOK_TOR="off",
                        LEFTBOOK_FLOOD="off", LEFTBOOK_CAPTCHA="off",
                        LEFTBOOK_PRUNE_INTERVAL="3600")
        if database_url:
            self.env["LEFTBOOK_DATABASE_URL"] = database_url
        self.data_dir, self.threads = data_dir, threads
        self.processes: list[subprocess.Popen] = []
        self.bases: list[str] = []
        for _ in range(count):  # one after the other: the first makes the shared secrets
            self._start()

    def _start(self) -> None:
        port = free_port()
        with (self.data_dir.parent / f"serve-{port}.log").open("wb") as log:
            process = subprocess.Popen(
                [str(LEFTBOOK), "serve", "--port", str(port), "--threads", str(self.threads),
                 "--no-onion"], env=self.env, cwd=self.data_dir.parent, stdout=log,
                stderr=subprocess.STDOUT)
        self.processes.append(process)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_SECONDS
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"leftbook serve did not start (see {log.name})")
            try:
                requests.get(base + "/", timeout=5).raise_for_status()
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        self.bases.append(base)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=15)


class Poster:
    """A client with its own cookies, replying through the form on any instance."""

    def __init__(self, base: str) -> None:
        self.session = requests.Session()
        self.token = CSRF_INPUT.search(self.session.get(f"{base}/soc/", timeout=30).text)[1]

    def post(self, base: str, board: str, body: str, thread: int | None = None) -> int:
        fields = {"csrf_token": self.token, "body": body}
        if thread is not None:
            fields["thread"] = str(thread)
        response = self.session.post(f"{base}/{board}/post", timeout=60,
                                     files={k: (None, v) for k, v in fields.items()},
                                     headers={"Accept": "application/json"})
        return response.json()["no"] if response.status_code == 200 else -response.status_code


def seed(site: Site, replies: int) -> dict[str, int]:
    """One thread per board, and `replies` replies in the /soc/ one (the page measured)."""
    poster = Poster(site.bases[0])
    threads = {board: poster.post(site.bases[0], board, f"a {board} thread") for board in BOARDS}
    for n in range(replies):
        poster.post(site.bases[n % len(site.bases)], "soc", f">>{threads['soc']} reply {n}",
                    threads["soc"])
    return threads


def measure_posts(site: Site, threads: dict[str, int], boards: tuple[str, ...], total: int,
                  clients: int, seconds: float) -> dict:
    tickets = itertools.count()
    refused: list[int] = []
    deadline = time.monotonic() + seconds

    def work(n: int) -> None:
        poster = Poster(site.bases[n % len(site.bases)])
        while (k := next(tickets)) < total and time.monotonic() < deadline:
            board = boards[k % len(boards)]
            no = poster.post(site.bases[k % len(site.bases)], board, f"bench {k}",
                             threads[board])
            if no < 0:
                refused.append(-no)

    began = time.perf_counter()
    pool = [threading.Thread(target=work, args=(n,), daemon=True) for n in range(clients)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=seconds + 120)
    wall = time.perf_counter() - began
    sent = min(next(tickets), total)
    return {"posts": sent - len(refused), "refused": len(refused),
            "per_second": round((sent - len(refused)) / wall, 1)}


def measure_page(site: Site, path: str, seconds: int, connections: int) -> dict:
    """wrk on `path` of every instance at once; requests per second summed."""
    per = max(1, connections // len(site.bases))
    runs = [subprocess.Popen(["wrk", "-t1", f"-c{per}", f"-d{seconds}s", "--timeout", "10s",
                              base + path], stdout=subprocess.PIPE, text=True)
            for base in site.bases]
    outputs = [run.communicate(timeout=seconds + 60)[0] for run in runs]
    bad = sum(int(m[1]) for out in outputs if (m := WRK_BAD.search(out)))
    return {"per_second": round(sum(float(WRK_RATE.search(out)[1]) for out in outputs), 1),
            "bad_responses": bad}


def run_case(name: str, database_url: str | None, count: int, args) -> dict:
    work = Path(tempfile.mkdtemp(prefix="leftbook-instances-"))
    if database_url:
        reset_schema(database_url)
    site = Site(work / "data", database_url, count, args.server_threads)
    try:
        threads = seed(site, args.replies)
        result = {
            "case": name,
            "posts, one board": measure_posts(site, threads, ("soc",), args.posts,
                                              args.post_clients, args.seconds * 6),
            "posts, five boards": measure_posts(site, threads, BOARDS, args.posts,
                                                args.post_clients, args.seconds * 6),
            "board index": measure_page(site, "/soc/", args.seconds, args.connections),
            "thread page": measure_page(site, f"/soc/res/{threads['soc']}.html",
                                        args.seconds, args.connections),
        }
    finally:
        site.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result), flush=True)
    return result


def report(results: list[dict]) -> None:
    columns = ("posts, one board", "posts, five boards", "board index", "thread page")
    print(f"\n{'case':<22}" + "".join(f"{c + ' /s':>22}" for c in columns))
    for result in results:
        print(f"{result['case']:<22}"
              + "".join(f"{result[c]['per_second']:>22}" for c in columns))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="per page measurement")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections in all")
    parser.add_argument("--server-threads", type=int, default=8)
    parser.add_argument("--posts", type=int, default=150, help="posts per posting measurement")
    parser.add_argument("--post-clients", type=int, default=8)
    parser.add_argument("--replies", type=int, default=50, help="replies in the thread page")
    parser.add_argument("--out", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed for the page measurements: apt-get install wrk")
    results = [run_case("SQLite, 1 instance", None, 1, args)]
    url, cluster = start_postgres()
    pooled = url.replace("postgresql://", "postgresql+pool://") + "?max_connections=32"
    try:
        for count in (1, 2):
            results.append(run_case(f"PostgreSQL, {count} instance", url, count, args))
        for count in (1, 2):
            results.append(run_case(f"PostgreSQL+pool, {count} inst.", pooled, count, args))
    finally:
        subprocess.run(["bash", str(ROOT / "scripts" / "pg-test-server"), "stop", cluster],
                       check=False, timeout=120)
    report(results)
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
