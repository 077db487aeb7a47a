"""Attack `leftbook serve` as one attacker with a laptop would (issue 14), loopback only.

Each attack gets its own `leftbook serve --no-onion --threads 8` (SQLite, LEFTBOOK_FLOOD=on,
LEFTBOOK_CAPTCHA=off, LEFTBOOK_TOR=off) on a fresh copy of one data dir filled by
bench/fill.py. While it runs, a reader loads /soc/ and a /soc/ thread in a loop (a new
connection each time, a timeout counting as a failure and as that much latency) and three
posters reply in /soc/ within flood control's limits (each its own cookies). Afterwards the
site is restarted and every acknowledged post is looked up. Printed per attack: reader
p50/p99, posting p50/p99, server RSS (idle, peak, after) and its child processes, 5xx
responses, posts lost.

    .venv/bin/python bench/attack.py                                 # this venv's leftbook
    .venv/bin/python bench/attack.py --leftbook /tmp/lb-before       # a checkout's code
    .venv/bin/python bench/attack.py --only jpeg,idle --seconds 30 --out before.json

Not part of the test run. bench/README.md describes the attacks and the figures.
"""

import argparse
import contextlib
import errno
import json
import math
import os
import random
import re
import resource
import selectors
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hostile_files import flat_webp, progressive_jpeg_bomb, small_png
from servers import free_port, stop_process, wait_until_serving
from wrk import CSRF_INPUT

ROOT = Path(__file__).resolve().parent.parent
ATTACKS = ("jpeg", "webp", "idle", "slowloris", "slowbody", "delete", "prune")
SECONDS = {"jpeg": 45, "webp": 45, "idle": 75, "slowloris": 75, "slowbody": 75,
           "delete": 45, "prune": 45}
TITLES = {
    "jpeg": "8 x JPEG, {jpeg_scans} scans", "webp": "8 x WebP 6000x6000",
    "idle": "{sockets} idle sockets", "slowloris": "{sockets} slowloris",
    "slowbody": "{sockets} slow bodies", "delete": "12 x delete {delete_posts}, bad pw",
    "prune": "SIGKILL prune pass",
}
UPLOAD_BOARDS = ("theory", "orgs", "events", "meta")  # not /soc/, where the posters write
READ_BOARD = "soc"
IMAGE_BOARD = "img"  # the prune attack's threads with files: first in file-name order
IMAGE_BOARD_FILE = f"""slug = "{IMAGE_BOARD}"
title = "Pictures"
description = "Threads with a file each, for bench/attack.py's prune attack."
rules = ["Bench data only."]

[limits]
pages = 100
threads_per_page = 10
thread_ttl = "365d"
"""
TTL_LINE = re.compile(r'^thread_ttl = .*$', re.MULTILINE)
BOOT = ("import sys; sys.path.insert(0, sys.argv.pop(1)); "
        "from leftbook.cli import main; sys.exit(main())")
WHERE = "import sys; sys.path.insert(0, sys.argv[1]); import leftbook; print(leftbook.__file__)"
VICTIM_PASSWORD = "correct horse battery staple"  # noqa: S105 (bench data)
POSTERS = 3
POST_INTERVAL = 11.0  # flood control's reply cooldown is 10 s per poster token
POST_TIMEOUT = 30.0
SAMPLE_SECONDS = 0.2
GOOD_READ_SECONDS = 2.0


def nearest_rank(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# --- which leftbook, and its server ---------------------------------------------------------

@dataclass
class Target:
    command: list[str]  # runs the `leftbook` command of the code under test
    python: str  # interpreter for bench/fill.py
    checkout: Path | None  # put first on sys.path (a checkout given by --leftbook)
    fill: Path  # the bench/fill.py that matches that code
    package: str = ""  # leftbook.__file__ as that code imports it
    commit: str = ""

    def env(self, **settings: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LEFTBOOK_")}
        if self.checkout is not None:
            env["PYTHONPATH"] = os.pathsep.join(
                [str(self.checkout)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        env.update(settings)
        return env


def resolve_target(given: str | None) -> Target:
    """--leftbook: a checkout (its code is imported ahead of any installed copy), a command,
    or nothing (the `leftbook` beside this interpreter)."""
    if given and Path(given).is_dir():
        checkout = Path(given).resolve()
        fill = checkout / "bench" / "fill.py"
        target = Target([sys.executable, "-c", BOOT, str(checkout)], sys.executable, checkout,
                        fill if fill.is_file() else ROOT / "bench" / "fill.py")
        target.package = subprocess.run([sys.executable, "-c", WHERE, str(checkout)],
                                        capture_output=True, text=True, check=True,
                                        cwd=tempfile.gettempdir()).stdout.strip()
        commit = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True)
        target.commit = commit.stdout.strip()
        dirty = subprocess.run(["git", "-C", str(checkout), "status", "--porcelain",
                                "--untracked-files=no"], capture_output=True, text=True)
        if dirty.stdout.strip():
            target.commit += " + uncommitted changes"
        return target
    command = shlex.split(given) if given else [str(Path(sys.executable).parent / "leftbook")]
    python = sys.executable
    first = Path(shutil.which(command[0]) or command[0])
    if first.is_file() and first.read_bytes()[:2] == b"#!":
        python = first.read_text(errors="replace").splitlines()[0][2:].strip().split()[0]
    target = Target(command, python, None, ROOT / "bench" / "fill.py")
    target.package = subprocess.run(
        [python, "-c", "import leftbook; print(leftbook.__file__)"], capture_output=True,
        text=True, cwd=tempfile.gettempdir()).stdout.strip() or "(unknown)"
    return target


_NOFILE = resource.getrlimit(resource.RLIMIT_NOFILE)


def _server_limits() -> None:
    """The server keeps the file-descriptor limit it would have had without this script."""
    resource.setrlimit(resource.RLIMIT_NOFILE, _NOFILE)


def raise_fd_limit(needed: int) -> None:
    soft, hard = _NOFILE
    if soft != resource.RLIM_INFINITY and soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))


class Server:
    """`leftbook serve` on a free loopback port, its output in `log`."""

    def __init__(self, target: Target, data_dir: Path, log: Path, threads: int,
                 flood: bool = True, boards_dir: Path | None = None, **extra: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = target.env(LEFTBOOK_DATA_DIR=str(data_dir),
                         LEFTBOOK_BOARDS_DIR=str(boards_dir or data_dir / "boards"),
                         LEFTBOOK_TOR="off", LEFTBOOK_FLOOD="on" if flood else "off",
                         LEFTBOOK_CAPTCHA="off", **extra)
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [*target.command, "serve", "--no-onion", "--port", str(self.port),
                 "--threads", str(threads)],
                env=env, cwd=data_dir.parent, stdout=out, stderr=subprocess.STDOUT,
                preexec_fn=_server_limits)
        try:
            wait_until_serving(self.base + "/", self.process)
        except BaseException:
            self.stop()
            print(log.read_text(errors="replace")[-3000:], file=sys.stderr)
            raise

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        stop_process(self.process)


# --- memory ---------------------------------------------------------------------------------

def status_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pass
    return 0


def descendants(pid: int) -> list[int]:
    found = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            for child in children.read_text().split():
                found += [int(child), *descendants(int(child))]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


class RssSampler(threading.Thread):
    """VmRSS of the server and, summed, of every process below it, every SAMPLE_SECONDS."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.samples: list[tuple[float, int, int, int]] = []  # (time, server, kids, n kids)
        self.halt = threading.Event()

    def sample(self) -> tuple[float, int, int, int]:
        kids = descendants(self.pid)
        return (time.monotonic(), status_kib(self.pid, "VmRSS"),
                sum(status_kib(k, "VmRSS") for k in kids), len(kids))

    def run(self) -> None:
        while not self.halt.is_set():
            self.samples.append(self.sample())
            self.halt.wait(SAMPLE_SECONDS)

    def peak(self, start: float, end: float) -> tuple[int, int, int]:
        window = [s for s in self.samples if start <= s[0] <= end] or self.samples[-1:]
        return (max(s[1] for s in window), max(s[2] for s in window),
                max(s[3] for s in window))


# --- clients --------------------------------------------------------------------------------

def raw_request(port: int, path: str, timeout: float) -> tuple[int | None, float]:
    """GET `path` on a new connection; (status or None on timeout/error, seconds). The whole
    request, connecting included, must finish within `timeout`."""
    started = time.monotonic()
    deadline = started + timeout
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/html\r\n"
               "Connection: close\r\n\r\n").encode()
    status = None
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            sock.sendall(request)
            head = b""
            while True:
                sock.settimeout(max(0.01, deadline - time.monotonic()))
                chunk = sock.recv(65536)
                if not chunk:
                    break
                if not head:
                    head = chunk[:20]
                if time.monotonic() > deadline:
                    raise TimeoutError
            match = re.match(rb"HTTP/1\.[01] (\d{3})", head)
            status = int(match[1]) if match else None
    except OSError:
        status = None
    elapsed = time.monotonic() - started
    if elapsed > timeout:
        status, elapsed = None, timeout
    return status, (timeout if status is None else elapsed)


class Reader(threading.Thread):
    """Loads the pages in turn, a new connection each time; a failure costs `timeout`."""

    def __init__(self, port: int, paths: list[str], timeout: float) -> None:
        super().__init__(daemon=True)
        self.port, self.paths, self.timeout = port, paths, timeout
        self.reads: list[tuple[float, float, int | None]] = []  # (start, seconds, status)
        self.halt = threading.Event()

    def run(self) -> None:
        turn = 0
        while not self.halt.is_set():
            started = time.monotonic()
            status, seconds = raw_request(self.port, self.paths[turn % len(self.paths)],
                                          self.timeout)
            self.reads.append((started, seconds, status))
            turn += 1
            self.halt.wait(0.1)

    def summary(self, start: float, end: float) -> dict:
        window = [r for r in self.reads if start <= r[0] < end]
        seconds = [r[1] for r in window]
        return {"reads": len(window),
                "p50_ms": _ms(nearest_rank(seconds, 0.5)),
                "p99_ms": _ms(nearest_rank(seconds, 0.99)),
                "max_ms": _ms(max(seconds, default=None)),
                "failures": sum(1 for r in window if r[2] not in (200, 304)),
                "statuses": _counts(r[2] for r in window)}


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def _counts(values) -> dict[str, int]:
    return dict(sorted(Counter("timeout/error" if v is None else str(v)
                               for v in values).items()))


def _message(response: requests.Response) -> str:
    """What an answer says, in short: its JSON error, or the text of its HTML page."""
    try:
        data = response.json()
        text = data.get("error") or data.get("message") or json.dumps(data)
    except ValueError:
        text = re.sub(r"<[^>]+>", " ", re.sub(r"(?s)<(head|style|script).*?</\1>", "",
                                               response.text))
    return " ".join(str(text).split())[:160]


def csrf_token(session: requests.Session, url: str, timeout: float = 30) -> str:
    found = CSRF_INPUT.search(session.get(url, timeout=timeout).text)
    if not found:
        raise requests.RequestException(f"no CSRF token on {url}")
    return found[1]


class Poster:
    """One browser: its own cookies (CSRF session, poster token), a new connection for every
    request, replies through the real form (multipart, JSON answer)."""

    def __init__(self, base: str, board: str, thread: int, timeout: float = POST_TIMEOUT) -> None:
        self.base, self.board, self.thread, self.timeout = base, board, thread, timeout
        self.session = requests.Session()
        self.session.headers["Connection"] = "close"
        self.token: str | None = None

    def post(self, body: str, password: str = "", file: tuple | None = None,
             new_thread: bool = False) -> tuple[int | None, float, tuple[str, int, int] | None]:
        """(status or None, seconds, (board, thread, no) when acknowledged)."""
        started = time.monotonic()
        try:
            if self.token is None:
                self.token = csrf_token(self.session, f"{self.base}/{self.board}/", self.timeout)
            fields = {"csrf_token": (None, self.token), "body": (None, body)}
            if password:
                fields["password"] = (None, password)
            if not new_thread:
                fields["thread"] = (None, str(self.thread))
            if file:
                fields["file"] = file
            response = self.session.post(f"{self.base}/{self.board}/post", files=fields,
                                         headers={"Accept": "application/json"},
                                         timeout=self.timeout)
        except requests.RequestException:
            return None, time.monotonic() - started, None
        seconds = time.monotonic() - started
        if response.status_code == 400 and "security token" in response.text:
            self.token = None
        if response.status_code != 200:
            return response.status_code, seconds, None
        made = response.json()
        return 200, seconds, (self.board, made["thread"], made["no"])


class Posting:
    """POSTERS posters replying in their own /soc/ threads, each every POST_INTERVAL s."""

    def __init__(self, base: str, threads: list[int]) -> None:
        self.posters = [Poster(base, READ_BOARD, threads[i % len(threads)])
                        for i in range(POSTERS)]
        self.acked: list[tuple[str, int, int]] = []
        self.attempts: list[tuple[float, float, int | None]] = []  # (start, seconds, status)
        self.halt = threading.Event()
        self.workers: list[threading.Thread] = []
        self.lock = threading.Lock()

    def _post(self, poster: Poster, label: str) -> int | None:
        body = f"{label} {random.getrandbits(64):016x}"
        started = time.monotonic()
        status, seconds, made = poster.post(body)
        with self.lock:
            self.attempts.append((started, seconds, status))
            if made:
                self.acked.append(made)
        return status

    def warm_up(self) -> None:
        """One post each before the attack: a poster token seen lately is no newcomer."""
        for n, poster in enumerate(self.posters):
            self._post(poster, f"warm-up {n}")
        self.ready = time.monotonic()

    def start(self) -> None:
        for n, poster in enumerate(self.posters):
            worker = threading.Thread(target=self._loop, args=(n, poster), daemon=True)
            worker.start()
            self.workers.append(worker)

    def _loop(self, n: int, poster: Poster) -> None:
        next_at = self.ready + POST_INTERVAL + n * POST_INTERVAL / len(self.posters)
        count = 0
        while not self.halt.wait(max(0.0, next_at - time.monotonic())):
            count += 1
            self._post(poster, f"poster {n} reply {count}")
            next_at = time.monotonic() + POST_INTERVAL

    def finish(self) -> None:
        self.halt.set()
        for worker in self.workers:
            worker.join(POST_TIMEOUT + 5)

    def summary(self, start: float) -> dict:
        window = [a for a in self.attempts if a[0] >= start]
        seconds = [a[1] for a in window]
        return {"attempts": len(window), "acked": sum(1 for a in window if a[2] == 200),
                "refused": sum(1 for a in window if a[2] is not None and a[2] != 200),
                "failed": sum(1 for a in window if a[2] is None),
                "p50_ms": _ms(nearest_rank(seconds, 0.5)),
                "p99_ms": _ms(nearest_rank(seconds, 0.99)),
                "statuses": _counts(a[2] for a in window)}


# --- attacks --------------------------------------------------------------------------------

@dataclass
class Context:
    args: argparse.Namespace
    target: Target
    server: Server
    data_dir: Path
    threads: dict[str, list[int]]
    stop_at: float
    stop: threading.Event = field(default_factory=threading.Event)
    statuses: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    notes: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    extra: dict = field(default_factory=dict)

    def record(self, status: int | str, seconds: float | None = None,
               response: requests.Response | None = None) -> None:
        with self.lock:
            self.statuses[str(status)] += 1
            if seconds is not None:
                self.latencies.append(seconds)
            if response is not None and str(status) not in self.said:
                self.said[str(status)] = _message(response)

    @property
    def said(self) -> dict[str, str]:
        return self.notes.setdefault("first_answer_per_status", {})

    def remaining(self) -> float:
        return self.stop_at - time.monotonic()

    def run_workers(self, count: int, work: Callable[[int], None]) -> None:
        """`count` threads running `work(i)` until stop_at; then stop and join (bounded)."""
        workers = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(count)]
        for worker in workers:
            worker.start()
        self.stop.wait(max(0.0, self.remaining()))
        self.stop.set()
        for worker in workers:
            worker.join(10)
        self.notes["workers_still_waiting"] = sum(w.is_alive() for w in workers)


def upload_attack(ctx: Context, files: list[tuple[str, bytes, str]], connections: int) -> None:
    """`connections` clients each posting one hostile file after another as replies on the
    boards other than /soc/, keeping their cookies; a refusal costs them a 1 s pause."""
    def work(i: int) -> None:
        board = UPLOAD_BOARDS[i % len(UPLOAD_BOARDS)]
        rng = random.Random(i)
        session, token, turn = requests.Session(), None, i
        while not ctx.stop.is_set():
            started = time.monotonic()
            try:
                if token is None:
                    token = csrf_token(session, f"{ctx.server.base}/{board}/", 30)
                name, data, mime = files[turn % len(files)]
                turn += 1
                response = session.post(
                    f"{ctx.server.base}/{board}/post",
                    data={"csrf_token": token, "thread": str(rng.choice(ctx.threads[board]))},
                    files={"file": (name, data, mime)}, headers={"Accept": "application/json"},
                    timeout=(10, max(2.0, ctx.remaining() + 2)))
            except requests.RequestException as exc:
                ctx.record(type(exc).__name__)
                ctx.stop.wait(1.0)
                continue
            ctx.record(response.status_code, time.monotonic() - started, response)
            if response.status_code == 400 and "security token" in response.text:
                token = None
            if response.status_code != 200:
                ctx.stop.wait(1.0)

    ctx.run_workers(connections, work)


def attack_jpeg(ctx: Context) -> None:
    bomb = progressive_jpeg_bomb(repeats=ctx.args.jpeg_scans)
    ctx.notes["file_bytes"] = len(bomb)
    upload_attack(ctx, [("scan.jpg", bomb, "image/jpeg")], 8)


def attack_webp(ctx: Context) -> None:
    files = [(f"flat{n}.webp", flat_webp(colour=(10 + 30 * n, 200 - 20 * n, 30 + n)), "image/webp")
             for n in range(8)]
    ctx.notes["file_bytes"] = len(files[0][1])
    upload_attack(ctx, files, 8)


@dataclass
class _Conn:
    sock: socket.socket
    connected: bool = False
    pending: bytes = b""
    drip: Iterator[int] | None = None
    next_drip: float = 0.0
    answered: bool = False


class SocketSwarm:
    """`count` raw connections held open: each sends `opening` once connected, then (if
    `drip`) one more byte every `interval` s; any the server closes is opened again."""

    def __init__(self, ctx: Context, count: int, opening: bytes = b"",
                 drip: Callable[[], Iterator[int]] | None = None, interval: float = 3.0) -> None:
        self.ctx, self.count, self.opening, self.drip, self.interval = (
            ctx, count, opening, drip, interval)
        self.selector = selectors.DefaultSelector()
        self.conns: dict[int, _Conn] = {}
        self.reopen_at: list[float] = []
        self.stats = Counter()
        self.most_open = 0

    def _open(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        code = sock.connect_ex(("127.0.0.1", self.ctx.server.port))
        if code not in (0, errno.EINPROGRESS):
            sock.close()
            self.stats["connect_failed"] += 1
            self.reopen_at.append(time.monotonic() + 0.5)
            return
        conn = _Conn(sock, drip=self.drip() if self.drip else None,
                     next_drip=time.monotonic() + random.uniform(0, self.interval))
        self.conns[sock.fileno()] = conn
        self.selector.register(sock, selectors.EVENT_WRITE, conn)
        self.stats["opened"] += 1

    def _close(self, conn: _Conn, why: str) -> None:
        self.selector.unregister(conn.sock)
        del self.conns[conn.sock.fileno()]
        conn.sock.close()
        self.stats[why] += 1
        self.reopen_at.append(time.monotonic() + (0.0 if conn.connected else 0.5))

    def _send(self, conn: _Conn, data: bytes) -> bool:
        try:
            sent = conn.sock.send(data)
        except BlockingIOError:
            sent = 0
        except OSError:
            self._close(conn, "closed_by_server")
            return False
        conn.pending = data[sent:]
        return True

    def _readable(self, conn: _Conn) -> None:
        try:
            data = conn.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data and not conn.answered:
            conn.answered = True
            match = re.match(rb"HTTP/1\.[01] (\d{3})", data)
            status = match[1].decode() if match else "garbage"
            self.stats[f"answered_{status}"] += 1
            self.ctx.record(status)
        if not data:
            self._close(conn, "closed_by_server")

    def run(self) -> None:
        for _ in range(self.count):
            self._open()
        while not self.ctx.stop.is_set() and self.ctx.remaining() > 0:
            now = time.monotonic()
            due = [t for t in self.reopen_at if t <= now]
            self.reopen_at = [t for t in self.reopen_at if t > now]
            for _ in due:
                self._open()
            for key, mask in self.selector.select(timeout=0.05):
                conn = key.data
                if conn.sock.fileno() not in self.conns:
                    continue
                if not conn.connected and mask & selectors.EVENT_WRITE:
                    error = conn.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if error:
                        self._close(conn, "connect_failed")
                        continue
                    conn.connected = True
                    self.selector.modify(conn.sock, selectors.EVENT_READ, conn)
                    if self.opening and not self._send(conn, self.opening):
                        continue
                elif mask & selectors.EVENT_READ:
                    self._readable(conn)
            now = time.monotonic()
            for conn in list(self.conns.values()):
                if not conn.connected:
                    continue
                if conn.pending:
                    self._send(conn, conn.pending)
                elif conn.drip is not None and conn.next_drip <= now:
                    conn.next_drip = now + self.interval
                    self._send(conn, bytes([next(conn.drip)]))
            self.most_open = max(self.most_open, sum(c.connected for c in self.conns.values()))
        self.ctx.stop.set()
        for conn in list(self.conns.values()):
            conn.sock.close()
        self.ctx.notes.update(self.stats, most_open_at_once=self.most_open)


def _cycle(data: bytes) -> Callable[[], Iterator[int]]:
    def make() -> Iterator[int]:
        while True:
            yield from data
    return make


def attack_idle(ctx: Context) -> None:
    SocketSwarm(ctx, ctx.args.sockets).run()


def attack_slowloris(ctx: Context) -> None:
    opening = f"GET /{READ_BOARD}/ HTTP/1.1\r\nHost: 127.0.0.1:{ctx.server.port}\r\n".encode()
    SocketSwarm(ctx, ctx.args.sockets, opening, _cycle(b"X-Wait: a\r\n"),
                ctx.args.drip_seconds).run()


def attack_slowbody(ctx: Context) -> None:
    opening = (f"POST /{READ_BOARD}/post HTTP/1.1\r\nHost: 127.0.0.1:{ctx.server.port}\r\n"
               "Content-Type: application/x-www-form-urlencoded\r\n"
               "Content-Length: 1000000\r\n\r\nbody=").encode()
    SocketSwarm(ctx, ctx.args.sockets, opening, _cycle(b"a"), ctx.args.drip_seconds).run()


def attack_delete(ctx: Context) -> None:
    """12 clients asking, again and again, to delete the victim posts with a wrong password."""
    board, thread, numbers = ctx.extra["victims"]

    def work(i: int) -> None:
        session, token, guess = requests.Session(), None, 0
        while not ctx.stop.is_set():
            started = time.monotonic()
            try:
                if token is None:
                    token = csrf_token(session, f"{ctx.server.base}/{board}/res/{thread}.html")
                guess += 1
                fields = [("csrf_token", token), ("password", f"guess {i}-{guess}"),
                          *(("post", str(no)) for no in numbers)]
                response = session.post(f"{ctx.server.base}/{board}/delete", data=fields,
                                        headers={"Accept": "application/json"},
                                        timeout=(10, max(2.0, ctx.remaining() + 2)))
            except requests.RequestException as exc:
                ctx.record(type(exc).__name__)
                ctx.stop.wait(0.5)
                continue
            ctx.record(response.status_code, time.monotonic() - started, response)
            if response.status_code == 400 and "security token" in response.text:
                token = None

    ctx.run_workers(12, work)


def _db_threads(db: Path, board: str | None = None) -> set[tuple[str, int]] | None:
    """(board, no) of the threads in the database, read directly (None if unreadable)."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as con:
            rows = (con.execute("SELECT board, no FROM thread WHERE board = ?", (board,))
                    if board else con.execute("SELECT board, no FROM thread"))
            return set(rows.fetchall())
    except sqlite3.Error:
        return None


def _db_lock_rows(db: Path) -> list:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as con:
            return [list(row) for row in con.execute("SELECT * FROM lock").fetchall()]
    except sqlite3.Error as exc:
        return [f"unreadable: {exc}"]


def _downloadable(base: str, paths: list[str]) -> int:
    ok = 0
    for path in paths:
        with contextlib.suppress(requests.RequestException):
            ok += requests.get(base + path, timeout=30).status_code == 200
    return ok


def attack_prune(ctx: Context) -> None:
    """`leftbook prune` (every board but /soc/ expired) killed with SIGKILL once its first
    batch committed; then `leftbook prune` again every few seconds until a pass runs."""
    args, db = ctx.args, ctx.data_dir / "leftbook.db"
    files = ctx.extra["image_files"]  # thread no -> [src path, thumb path]
    env = ctx.target.env(LEFTBOOK_DATA_DIR=str(ctx.data_dir),
                         LEFTBOOK_BOARDS_DIR=str(ctx.data_dir / "boards-expired"),
                         LEFTBOOK_TOR="off", LEFTBOOK_CAPTCHA="off")
    command = [*ctx.target.command, "prune"]
    before = _db_threads(db)
    notes = ctx.notes
    notes["threads_before"] = len(before) if before is not None else None
    killed_at = None
    for _attempt in range(5):
        started = time.monotonic()
        process = subprocess.Popen(command, env=env, cwd=ctx.data_dir.parent,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        while process.poll() is None and time.monotonic() - started < 300:
            now = _db_threads(db) if before is not None else None
            if (now is not None and len(now) < len(before)) or (
                    before is None and time.monotonic() - started > args.kill_after):
                process.send_signal(signal.SIGKILL)
                killed_at = time.monotonic()
                break
            time.sleep(0.005)
        output = process.communicate()[0]
        if killed_at is not None:
            break
        if "another prune pass" not in output:
            notes["not_killed"] = f"the pass ended before it could be killed: {output.strip()}"
            break
        time.sleep(1)  # the server's own pass at start still held the lock
    if killed_at is None:
        return
    notes["killed_after_s"] = round(killed_at - started, 2)
    at_kill = _db_threads(db)
    lost_rows = before - at_kill if before is not None and at_kill is not None else set()
    gone = {no for board, no in lost_rows if board == IMAGE_BOARD}
    notes["threads_gone_at_kill"] = len(lost_rows)
    notes["lock_rows_after_kill"] = _db_lock_rows(db)
    notes["files_of_gone_threads_downloadable_at_kill"] = (
        f"{_downloadable(ctx.server.base, [files[no][0] for no in gone])}/{len(gone)}")
    passes = []
    while True:
        begun = time.monotonic()
        result = subprocess.run(command, env=env, cwd=ctx.data_dir.parent, capture_output=True,
                                text=True, timeout=600)
        output = (result.stdout + result.stderr).strip().splitlines()
        line = output[-1] if output else f"exit {result.returncode}"
        skipped = "another prune pass" in line
        passes.append({"at_s": round(begun - killed_at, 1), "seconds": round(
            time.monotonic() - begun, 1), "result": line[:200]})
        if not skipped and result.returncode == 0:
            notes["pass_ran_after_s"] = round(begun - killed_at, 1)
            break
        if time.monotonic() - killed_at > args.prune_wait:
            notes["pass_ran_after_s"] = f"> {args.prune_wait:g} (every pass skipped)"
            break
        time.sleep(args.prune_retry)
    notes["passes"] = passes
    after = _db_threads(db)
    if after is not None:
        notes["expired_threads_left"] = sum(1 for board, _ in after if board != READ_BOARD)
    notes["files_of_pruned_threads_downloadable"] = (
        f"{_downloadable(ctx.server.base, [p for pair in files.values() for p in pair])}"
        f"/{2 * len(files)} (files and thumbnails of {len(files)} pruned threads)")
    ctx.stop.set()


RUN = {"jpeg": attack_jpeg, "webp": attack_webp, "idle": attack_idle,
       "slowloris": attack_slowloris, "slowbody": attack_slowbody, "delete": attack_delete,
       "prune": attack_prune}


# --- data dirs ------------------------------------------------------------------------------

@dataclass
class Template:
    data_dir: Path
    threads: dict[str, list[int]]
    extra: dict


def fill(target: Target, data_dir: Path, posts: int) -> dict[str, list[int]]:
    subprocess.run([target.python, str(target.fill), "--posts", str(posts), "--data-dir",
                    str(data_dir)], env=target.env(), check=True, cwd=tempfile.gettempdir(),
                   stdout=subprocess.DEVNULL)
    return json.loads((data_dir / "bench.json").read_text())["threads"]


def make_template(target: Target, work: Path, args: argparse.Namespace) -> Template:
    """bench/fill.py's posts, and replies with a deletion password for the delete attack."""
    data_dir = work / "template" / "data"
    threads = fill(target, data_dir, args.posts)
    victim_thread = threads[READ_BOARD][-1]
    server = Server(target, data_dir, work / "template" / "serve.log", args.server_threads,
                    flood=False)
    try:
        poster = Poster(server.base, READ_BOARD, victim_thread)
        numbers = []
        for n in range(args.delete_posts):
            status, _, made = poster.post(f"a post to delete later {n}", VICTIM_PASSWORD)
            if made is None:
                raise SystemExit(f"setting up the delete attack: posting answered {status}")
            numbers.append(made[2])
    finally:
        server.stop()
    return Template(data_dir, threads, {"victims": (READ_BOARD, victim_thread, numbers)})


def make_prune_template(target: Target, work: Path, args: argparse.Namespace) -> Template:
    """bench/fill.py's posts plus /img/ (first in file-name order), a board of threads with a
    file each, all dated a day back on disk; boards-expired/ has every board but /soc/ with
    a thread_ttl of 1 s, for the prune command."""
    data_dir = work / "prune-template" / "data"
    threads = fill(target, data_dir, args.prune_posts)
    (data_dir / "boards" / f"00-{IMAGE_BOARD}.toml").write_text(IMAGE_BOARD_FILE)
    server = Server(target, data_dir, work / "prune-template" / "serve.log",
                    args.server_threads, flood=False)
    files: dict[int, list[str]] = {}
    try:
        lock = threading.Lock()
        failures = Counter()

        def work_(i: int) -> None:
            poster = Poster(server.base, IMAGE_BOARD, 0)
            for n in range(i, args.image_threads, 2):
                status, _, made = poster.post(f"picture thread {n}", file=(
                    f"p{n}.png", small_png(), "image/png"), new_thread=True)
                if made is None:
                    failures[str(status)] += 1
                    continue
                api = requests.get(f"{server.base}/{IMAGE_BOARD}/res/{made[1]}.json",
                                   timeout=30).json()["posts"][0]
                with lock:
                    files[made[1]] = [f"/{IMAGE_BOARD}/src/{api['tim']}{api['ext']}",
                                      f"/{IMAGE_BOARD}/thumb/{api['tim']}{api['thumb_ext']}"]

        pool = [threading.Thread(target=work_, args=(i,)) for i in range(2)]
        for worker in pool:
            worker.start()
        for worker in pool:
            worker.join()
        if failures:
            raise SystemExit(f"setting up the prune attack: posting answered {dict(failures)}")
    finally:
        server.stop()
    day_ago = time.time() - 86400
    for path in data_dir.rglob("*"):
        if path.is_file() and re.fullmatch(r"[0-9a-f]{64}.*", path.name):
            os.utime(path, (day_ago, day_ago))
    expired = data_dir / "boards-expired"
    expired.mkdir()
    for board_file in (data_dir / "boards").glob("*.toml"):
        text = board_file.read_text()
        if f'slug = "{READ_BOARD}"' not in text:
            text = TTL_LINE.sub('thread_ttl = "1s"', text)
        (expired / board_file.name).write_text(text)
    return Template(data_dir, threads, {"image_files": files})


# --- one attack -----------------------------------------------------------------------------

def check_posts(target: Target, data_dir: Path, log: Path, threads: int,
                acked: list[tuple[str, int, int]]) -> tuple[int, int]:
    """(acknowledged posts missing from the site after a restart, acknowledged posts)."""
    server = Server(target, data_dir, log, threads, flood=False)
    missing = 0
    try:
        wanted: dict[tuple[str, int], set[int]] = {}
        for board, thread, no in acked:
            wanted.setdefault((board, thread), set()).add(no)
        for (board, thread), numbers in wanted.items():
            response = requests.get(f"{server.base}/{board}/res/{thread}.json", timeout=60)
            found = ({p["no"] for p in response.json()["posts"]}
                     if response.status_code == 200 else set())
            missing += len(numbers - found)
    finally:
        server.stop()
    return missing, len(acked)


def run_attack(name: str, target: Target, template: Template, work: Path,
               args: argparse.Namespace) -> dict:
    here = work / name
    data_dir = here / "data"
    shutil.copytree(template.data_dir, data_dir)
    extra_env = {"LEFTBOOK_PRUNE_INTERVAL": "3600"} if name == "prune" else {}
    result: dict = {"attack": name, "title": TITLES[name].format(**vars(args)),
                    "load_before": loadavg()}
    server = Server(target, data_dir, here / "serve.log", args.server_threads, **extra_env)
    sampler = RssSampler(server.pid)
    sampler.start()
    reader_thread = template.threads[READ_BOARD][0]
    paths = [f"/{READ_BOARD}/", f"/{READ_BOARD}/res/{reader_thread}.html"]
    posting = Posting(server.base, template.threads[READ_BOARD][1:] or template.threads[READ_BOARD])
    try:
        quiet = [raw_request(server.port, paths[n % 2], args.read_timeout)[1] for n in range(10)]
        result["quiet_read_p50_ms"] = _ms(nearest_rank(quiet, 0.5))
        if name == "prune":
            time.sleep(2)  # the server's own prune pass at start
        posting.warm_up()
        time.sleep(1)
        seconds = args.seconds or SECONDS[name]
        ctx = Context(args, target, server, data_dir, template.threads,
                      time.monotonic() + seconds, extra=template.extra)
        reader = Reader(server.port, paths, args.read_timeout)
        begun = time.monotonic()
        reader.start()
        posting.start()
        print(f"[{name}] attacking" + ("" if name == "prune" else f" for {seconds:g} s")
              + " ...", flush=True)
        try:
            RUN[name](ctx)
        finally:
            ctx.stop.set()
            ended = time.monotonic()
            reader.halt.set()
            posting.finish()
            reader.join(args.read_timeout + 5)
        result["attack_seconds"] = round(ended - begun, 1)
        result["reader"] = reader.summary(begun, ended)
        result["posting"] = posting.summary(begun)
        result["attack_requests"] = dict(sorted(ctx.statuses.items()))
        if ctx.latencies:
            result["attack_p50_ms"] = _ms(nearest_rank(ctx.latencies, 0.5))
        result["notes"] = ctx.notes
        recovered = None
        drain_end = time.monotonic() + args.drain
        while time.monotonic() < drain_end:
            status, took = raw_request(server.port, paths[0], GOOD_READ_SECONDS)
            if status == 200 and took < GOOD_READ_SECONDS:
                recovered = round(time.monotonic() - ended, 1)
                break
            time.sleep(0.5)
        result["reader_ok_again_after_s"] = recovered if recovered is not None else (
            f"> {args.drain:g}")
        time.sleep(1)
        idle = [s[1] for s in sampler.samples if s[0] < begun] or [0]
        peak, kids, kid_count = sampler.peak(begun, time.monotonic())
        now = sampler.sample()
        result["rss_mib"] = {"idle": round(idle[-1] / 1024), "peak": round(peak / 1024),
                             "after": round(now[1] / 1024),
                             "hwm": round(status_kib(server.pid, "VmHWM") / 1024),
                             "children_peak": round(kids / 1024), "children_max": kid_count}
        result["server_alive"] = server.process.poll() is None
    finally:
        sampler.halt.set()
        server.stop()
    result["server_exit"] = server.process.returncode
    lost, acked = check_posts(target, data_dir, here / "check.log", args.server_threads,
                              posting.acked)
    result["posts_acked"], result["posts_lost"] = acked, lost
    result["load_after"] = loadavg()
    fivexx = sum(v for k, v in result["reader"]["statuses"].items() if k.startswith("5"))
    fivexx_post = sum(v for k, v in result["posting"]["statuses"].items() if k.startswith("5"))
    fivexx_attack = sum(v for k, v in result["attack_requests"].items() if k.startswith("5"))
    result["5xx"] = {"reader": fivexx, "posting": fivexx_post, "attack": fivexx_attack}
    if not args.keep:
        shutil.rmtree(here, ignore_errors=True)
    return result


# --- report ---------------------------------------------------------------------------------

def _fmt(value, timeout: float | None = None) -> str:
    if value is None:
        return "-"
    if timeout is not None and value >= timeout * 1000:
        return f">={value / 1000:.0f}s"
    return f"{value / 1000:.2f}s" if value >= 1000 else f"{value:.0f}ms"


def report(results: list[dict], args: argparse.Namespace) -> None:
    head = (f"{'attack':<23}{'reads':>6}{'p50':>8}{'p99':>8}{'fail':>5} | {'posts':>8}"
            f"{'p50':>8}{'p99':>8} | {'RSS MiB idle/peak/after':>24}{'kids':>6} | "
            f"{'5xx r/p/a':>10}{'lost':>5}")
    print("\n" + head + "\n" + "-" * len(head))
    for r in results:
        reader, posting, rss, bad = r["reader"], r["posting"], r["rss_mib"], r["5xx"]
        posts = f"{posting['acked']}/{posting['attempts']}"
        print(f"{r['title']:<23}{reader['reads']:>6}"
              f"{_fmt(reader['p50_ms'], args.read_timeout):>8}"
              f"{_fmt(reader['p99_ms'], args.read_timeout):>8}{reader['failures']:>5} | "
              f"{posts:>8}{_fmt(posting['p50_ms'], POST_TIMEOUT):>8}"
              f"{_fmt(posting['p99_ms'], POST_TIMEOUT):>8} | "
              f"{rss['idle']:>8}/{rss['peak']:>6}/{rss['after']:>6}  {rss['children_peak']:>5} | "
              f"{bad['reader']:>3}/{bad['posting']}/{bad['attack']:<4}{r['posts_lost']:>5}")
    print("\nreads: reader page loads during the attack (failures: timeout, error or not 200);"
          f" a failure counts as {args.read_timeout:g} s.\nposts: acknowledged/attempted "
          "replies by the posters during the attack; lost: acknowledged (warm-up included) "
          "but missing after a restart.\n")
    for r in results:
        print(f"{r['title']}: quiet read p50 {_fmt(r['quiet_read_p50_ms'])}; reader "
              f"{r['reader']['statuses']}, ok again {r['reader_ok_again_after_s']} s after; "
              f"posting {r['posting']['statuses']}; attack requests {r['attack_requests']}"
              + (f" (p50 {_fmt(r['attack_p50_ms'])})" if "attack_p50_ms" in r else "")
              + f"; RSS high-water {r['rss_mib']['hwm']} MiB; server "
              + ("up" if r["server_alive"] else "DIED")
              + f"; load {r['load_before']} -> {r['load_after']}")
        if r["notes"]:
            print("    " + json.dumps(r["notes"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leftbook", help="a checkout to import leftbook from, or the "
                        "leftbook command to run (default: the one beside this python)")
    parser.add_argument("--only", help="comma-separated attacks: " + ",".join(ATTACKS))
    parser.add_argument("--seconds", type=float, help="length of every attack (default: "
                        + ", ".join(f"{k} {v}" for k, v in SECONDS.items() if k != "prune")
                        + "; prune lasts as long as the kill and the recovery take)")
    parser.add_argument("--read-timeout", type=float, default=10.0)
    parser.add_argument("--drain", type=float, default=20.0,
                        help="after an attack, wait at most this for a fast read")
    parser.add_argument("--server-threads", type=int, default=8)
    parser.add_argument("--posts", type=int, default=10_000, help="posts in the data dir")
    parser.add_argument("--sockets", type=int, default=600)
    parser.add_argument("--drip-seconds", type=float, default=3.0,
                        help="slowloris and slow bodies: one byte per connection this often")
    parser.add_argument("--delete-posts", type=int, default=20,
                        help="posts named in each delete request")
    parser.add_argument("--jpeg-scans", type=int, default=20_000)
    parser.add_argument("--prune-posts", type=int, default=20_000)
    parser.add_argument("--image-threads", type=int, default=300,
                        help="threads with a file in the prune attack's data dir")
    parser.add_argument("--prune-wait", type=float, default=90.0,
                        help="after the kill, retry prune passes for at most this long")
    parser.add_argument("--prune-retry", type=float, default=5.0)
    parser.add_argument("--kill-after", type=float, default=2.0,
                        help="when the database cannot be watched: kill this long after start")
    parser.add_argument("--work-dir", type=Path, help="default: a new temporary directory")
    parser.add_argument("--keep", action="store_true", help="keep data dirs and server logs")
    parser.add_argument("--out", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()
    chosen = args.only.split(",") if args.only else list(ATTACKS)
    unknown = set(chosen) - set(ATTACKS)
    if unknown:
        parser.error(f"unknown attacks {sorted(unknown)}; choose from {', '.join(ATTACKS)}")
    raise_fd_limit(4 * args.sockets + 256)
    target = resolve_target(args.leftbook)
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="leftbook-attack-"))
    work.mkdir(parents=True, exist_ok=True)
    shown = " ".join(target.command[:2]) + (f" {target.checkout}" if target.checkout else "")
    print(f"leftbook: {shown}\n  imports {target.package}"
          + (f" at {target.commit}" if target.commit else "")
          + f"\n  {os.cpu_count()} CPUs, load {loadavg()}, work dir {work}", flush=True)
    started = time.monotonic()
    results = []
    try:
        template = make_template(target, work, args) if set(chosen) - {"prune"} else None
        prune_template = make_prune_template(target, work, args) if "prune" in chosen else None
        print(f"data dirs ready in {time.monotonic() - started:.0f} s", flush=True)
        for name in chosen:
            result = run_attack(name, target, prune_template if name == "prune" else template,
                                work, args)
            results.append(result)
            print(json.dumps(result), flush=True)
    finally:
        if not args.keep and not args.work_dir:
            shutil.rmtree(work, ignore_errors=True)
    report(results, args)
    print(f"\n{len(results)} attacks in {time.monotonic() - started:.0f} s")
    if args.out:
        args.out.write_text(json.dumps({"leftbook": target.package, "commit": target.commit,
                                        "results": results}, indent=1))


if __name__ == "__main__":
    main()
