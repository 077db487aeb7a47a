"""Every figure of issue 18 in one run, side by side: Flask's hello world on the same server
settings, then for each Leftbook checkout given (on its own copy of a data dir made by
bench/fill.py): the 300-reply thread and a board index as full answers and as 304s, bytes
on the wire, text posting with several concurrent posters, and page reads during a
40-poster flood against reads in quiet.

    .venv/bin/python bench/pages.py --data-dir /tmp/leftbook-bench-10000 \
        --code before=/tmp/lb-before --code after=.

Page rates come from wrk (apt-get install wrk), in `--rounds` rounds that each measure hello
world and every case of every checkout one after the other, so that a busy machine slows
them alike; a ratio is a case's rate over the hello world rate of its round (median and
range over the rounds). Loopback only; the servers are stopped by their PIDs.
"""

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import requests
from flood_reads import flood_reads
from servers import (
    Server,
    clone_database,
    drop_database,
    free_port,
    wait_until_serving,
    wire_bytes,
)
from wrk import post_rate, wrk_rate

HERE = Path(__file__).resolve().parent
TARGETS = {"thread full": 0.5, "index full": 0.5, "thread 304": 0.8, "index 304": 0.8}
BYTE_TARGETS = {"thread": 40_000, "index": 10_000}
POST_TARGET = 300
FLOOD_TARGET = 3.0


@dataclass
class Checkout:
    name: str
    server: Server
    cases: dict[str, dict[str, str]] = field(default_factory=dict)  # case -> wrk headers
    rates: dict[str, list[float]] = field(default_factory=dict)
    ratios: dict[str, list[float]] = field(default_factory=dict)
    results: dict = field(default_factory=dict)


def page_cases(server: Server, thread: str, index: str) -> dict[str, tuple[str, dict]]:
    """(path, headers) of each page case; checks that the 304 cases do answer 304."""
    cases = {}
    for name, path in (("thread", thread), ("index", index)):
        reader = requests.Session()
        first = reader.get(server.base + path, headers={"Accept-Encoding": "gzip"}, timeout=60)
        first.raise_for_status()
        cookie = "; ".join(f"{c.name}={c.value}" for c in reader.cookies)
        again = {"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"],
                 **({"Cookie": cookie} if cookie else {})}
        check = requests.get(server.base + path, headers=again, timeout=60)
        if check.status_code != 304:
            raise SystemExit(f"{server.name}: revalidating {path} gave {check.status_code}")
        cases[f"{name} full"] = (path, {"Accept-Encoding": "gzip"})
        cases[f"{name} 304"] = (path, again)
    return cases


def spread(values: list[float]) -> str:
    if not values:
        return "-"
    return (f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"
            if len(values) > 1 else f"{values[0]:.2f}")


def report(hello: list[float], checkouts: list[Checkout], posts: int, database: str) -> None:
    print(f"\n{posts} stored posts ({database}); hello world {spread(hello)} req/s "
          f"(median, range over {len(hello)} rounds)")
    print(f"{'checkout':<10}{'case':<14}{'req/s':>24}{'x hello world':>24}  target")
    for c in checkouts:
        for case in c.rates:
            target = TARGETS[case]
            ok = statistics.median(c.ratios[case]) >= target
            print(f"{c.name:<10}{case:<14}{spread(c.rates[case]):>24}"
                  f"{spread(c.ratios[case]):>24}  >= {target} {'met' if ok else 'NOT met'}")
    for c in checkouts:
        r = c.results
        for page, sizes in r.get("bytes", {}).items():
            ok = sizes["gzip"] <= BYTE_TARGETS[page]
            print(f"{c.name:<10}{page + ' bytes':<14}{sizes['plain']:>10} plain {sizes['gzip']:>8}"
                  f" gzip (headers {sizes['headers']})  <= {BYTE_TARGETS[page]} "
                  f"{'met' if ok else 'NOT met'}")
        p = r.get("posting")
        if p:
            print(f"{c.name:<10}{'posting':<14}{p['per_second']:>10.1f} posts/s with "
                  f"{p['connections']} posters: {p['acknowledged']} acknowledged, "
                  f"{p['stored']} stored, {p['refused']} refused  >= {POST_TARGET} "
                  f"{'met' if p['per_second'] >= POST_TARGET and p['lost'] == 0 else 'NOT met'}")
        f = r.get("flood")
        if f:
            print(f"{c.name:<10}{'flood reads':<14}p50 {f['quiet_p50_ms']} ms quiet, "
                  f"{f['flood_p50_ms']} ms with {f['posters']} posters = {f['ratio']}x "
                  f"(p95 {f['quiet_p95_ms']} / {f['flood_p95_ms']} ms; {f['posts']})  <= "
                  f"{FLOOD_TARGET}x {'met' if f['ratio'] <= FLOOD_TARGET else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="made by bench/fill.py")
    parser.add_argument("--code", action="append", default=[], metavar="NAME=PATH",
                        help="a Leftbook checkout to measure (repeat); default: this one")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5, help="per wrk measurement")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--server-threads", type=int, default=8)
    parser.add_argument("--post-seconds", type=int, default=10)
    parser.add_argument("--posters", type=int, default=8, help="concurrent posting clients")
    parser.add_argument("--flood-posters", type=int, default=40)
    parser.add_argument("--flood-seconds", type=int, default=20)
    parser.add_argument("--skip", default="", help="comma-separated: pages,posting,flood")
    parser.add_argument("--out", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    skip = set(filter(None, args.skip.split(",")))
    summary = json.loads((args.data_dir / "bench.json").read_text())
    big = summary["big_thread"]
    thread, index = f"/{big['board']}/res/{big['no']}.html", f"/{big['board']}/"
    reply_board = next(b for b in reversed(list(summary["threads"])) if b != big["board"])
    codes = [c.split("=", 1) for c in args.code] or [["this", str(HERE.parent)]]
    work = Path(tempfile.mkdtemp(prefix="leftbook-pages-"))
    port = free_port()
    with (work / "hello.log").open("wb") as log:  # waitress logs its queue depth there
        hello = subprocess.Popen([sys.executable, str(HERE / "hello.py"), "--port", str(port),
                                  "--threads", str(args.server_threads)], cwd=work,
                                 env={"PYTHONPATH": str(HERE.parent), "PATH": "/usr/bin:/bin"},
                                 stdout=log, stderr=subprocess.STDOUT)
    checkouts: list[Checkout] = []
    try:
        for name, path in codes:
            data = work / name
            shutil.copytree(args.data_dir, data)
            url = summary.get("database_url")
            url = clone_database(url, name) if url else None  # PostgreSQL: a copy each
            checkouts.append(Checkout(name, Server(name, Path(path).resolve(), data,
                                                   args.server_threads, url)))
        hello_base = f"http://127.0.0.1:{port}"
        wait_until_serving(hello_base + "/", hello)
        for c in checkouts:
            c.server.start()
            c.cases = page_cases(c.server, thread, index)
            c.results["bytes"] = {page: wire_bytes(c.server.base + p)
                                  for page, p in (("thread", thread), ("index", index))}
        hello_rates: list[float] = []
        for round_no in range(args.rounds if "pages" not in skip else 0):
            rate = wrk_rate(hello_base + "/", {}, args.seconds, args.connections)
            hello_rates.append(rate)
            for c in checkouts:
                for case, (path, headers) in c.cases.items():
                    got = wrk_rate(c.server.base + path, headers, args.seconds, args.connections)
                    c.rates.setdefault(case, []).append(got)
                    c.ratios.setdefault(case, []).append(got / rate)
            print(f"round {round_no + 1}: hello world {rate:.0f} req/s; " + "; ".join(
                f"{c.name} " + ", ".join(f"{k} {v[-1]:.0f}" for k, v in c.rates.items())
                for c in checkouts), flush=True)
        for c in checkouts:
            if "posting" not in skip:
                c.results["posting"] = post_rate(c.server, reply_board,
                                                 summary["threads"][reply_board][:50],
                                                 args.post_seconds, args.posters)
                print(f"{c.name}: posting {c.results['posting']}", flush=True)
            c.server.stop()
        for c in checkouts:
            if "flood" not in skip:
                c.results["flood"] = flood_reads(c.server, [index, thread],
                                                 args.flood_posters, args.flood_seconds)
                print(f"{c.name}: flood {c.results['flood']}", flush=True)
    finally:
        for c in checkouts:
            c.server.stop()
            if c.server.database_url:
                drop_database(c.server.database_url)
        hello.terminate()
        hello.wait(timeout=15)
        time.sleep(0.5)
        shutil.rmtree(work, ignore_errors=True)
    report(hello_rates, checkouts, summary["posts"],
           "PostgreSQL" if summary.get("database_url") else "SQLite")
    if args.out:
        args.out.write_text(json.dumps({
            "posts": summary["posts"], "hello": hello_rates,
            "checkouts": {c.name: {"rates": c.rates, "ratios": c.ratios, **c.results}
                          for c in checkouts}}, indent=1, default=asdict))


if __name__ == "__main__":
    main()
