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
