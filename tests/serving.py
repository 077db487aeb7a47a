"""Running a real `leftbook serve` subprocess for end-to-end tests: free port, bounded waits."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

LEFTBOOK = str(Path(sys.executable).parent / "leftbook")
START_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """The caller's environment without any LEFTBOOK_* setting, plus the test's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEFTBOOK_")}
    env.update(LEFTBOOK_DATA_DIR=str(data_dir), LEFTBOOK_TOR="off", LEFTBOOK_FLOOD="off",
               LEFTBOOK_CAPTCHA="off", PYTHONUNBUFFERED="1")
    env.update(settings)
    return env


def wait_until_serving(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"leftbook serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError as exc:
            pytest.fail(f"leftbook serve answered {url} with {exc.code}:\n{log.read_text()}")
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"leftbook serve did not answer within {START_SECONDS}s:\n{log.read_text()}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@dataclass(frozen=True)
class Site:
    base: str
    log: Path
    process: subprocess.Popen


@contextmanager
def running_site(workdir: Path, *, data_dir: Path | None = None, args: tuple[str, ...] = (),
                 **settings: str) -> Iterator[Site]:
    """`leftbook serve --no-onion` on a free loopback port until the block ends."""
    port = free_port()
    log = workdir / f"serve-{port}.log"
    command = [LEFTBOOK, "serve", "--port", str(port), "--no-onion", *args]
    env = server_env(data_dir or workdir / "data", **settings)
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, cwd=workdir, stdout=out,
                                   stderr=subprocess.STDOUT)
    site = Site(f"http://127.0.0.1:{port}", log, process)
    try:
        wait_until_serving(f"{site.base}/", process, log)
        yield site
    finally:
        stop(process)


# --- hostile clients, for tests and measurements of connection handling -----------------

HOSTILE_PREAMBLES = {
    "idle": b"",
    "headers": b"GET /soc/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Trickle: ",
    "body": (b"POST /soc/post HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             b"Content-Type: application/x-www-form-urlencoded\r\n"
             b"Content-Length: 1000000\r\n\r\nbody="),
}
"""What each kind sends at once; `headers` and `body` then send one byte per interval."""


def raise_fd_limit(wanted: int) -> None:
    """Raise this process's soft RLIMIT_NOFILE to `wanted` (at most the hard limit)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        top = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (top, hard))


class Hostile:
    """`count` sockets of one kind (`idle`, `headers`, `body`) held open against a port by
    one background thread; a socket the server closes is opened again when `reconnect`.

    `lifetimes` lists, for every connection the server closed, the seconds it was open.
    """

    def __init__(self, port: int, kind: str, count: int, *, interval: float = 1.0,
                 reconnect: bool = True) -> None:
        import selectors
        import threading

        self.address, self.preamble = ("127.0.0.1", port), HOSTILE_PREAMBLES[kind]
        self.trickle, self.count, self.interval = kind != "idle", count, interval
        self.reconnect = reconnect
        self.lifetimes: list[float] = []
        self.opened = 0
        self._selector = selectors.DefaultSelector()
        self._since: dict[socket.socket, float] = {}  # connected socket -> connect time
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"hostile-{kind}", daemon=True)

    @property
    def open_now(self) -> int:
        return len(self._since)

    def __enter__(self) -> "Hostile":
        raise_fd_limit(4 * self.count + 1024)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(10)
        for key in list(self._selector.get_map().values()):
            key.fileobj.close()
        self._selector.close()

    def _open(self) -> None:
        import selectors

        sock = socket.socket()
        sock.setblocking(False)
        sock.connect_ex(self.address)
        self._selector.register(sock, selectors.EVENT_WRITE)
        self.opened += 1

    def _closed(self, sock: socket.socket) -> None:
        since = self._since.pop(sock, None)
        if since is not None:
            self.lifetimes.append(time.monotonic() - since)
        self._selector.unregister(sock)
        sock.close()
        if self.reconnect and not self._stop.is_set():
            self._open()

    def _event(self, sock: socket.socket, mask: int) -> None:
        import selectors

        try:
            if sock not in self._since:  # a connect finished (or failed)
                if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                    raise ConnectionRefusedError
                self._since[sock] = time.monotonic()
                self._selector.modify(sock, selectors.EVENT_READ)
                if self.preamble:
                    sock.send(self.preamble)
            elif not sock.recv(65536):
                raise ConnectionResetError
        except BlockingIOError:
            pass
        except OSError:
            self._closed(sock)

    def _run(self) -> None:
        for _ in range(self.count):
            self._open()
        next_byte = time.monotonic() + self.interval
        while not self._stop.is_set():
            for key, mask in self._selector.select(timeout=0.05):
                self._event(key.fileobj, mask)  # type: ignore[arg-type]
            if self.trickle and time.monotonic() >= next_byte:
                next_byte += self.interval
                for sock in list(self._since):
                    try:
                        sock.send(b"a")
                    except BlockingIOError:
                        pass
                    except OSError:
                        self._closed(sock)


def timed_get(url: str, timeout: float = 30.0) -> tuple[float, int]:
    """(seconds, status) of one GET on a new connection; status 0 when it failed."""
    start = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError:
        status = 0
    return time.monotonic() - start, status
