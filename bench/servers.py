"""`leftbook serve` from a given checkout on a data dir, for the benches (loopback only)."""

import http.client
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests

START_SECONDS = 180
SERVE = "from leftbook.cli import main; main()"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """One `leftbook serve --no-onion` of checkout `code` (first on the import path; python
    runs with -P so that no current directory shadows it) on data dir `data`."""

    def __init__(self, name: str, code: Path, data: Path, threads: int,
                 database_url: str | None = None, **env: str) -> None:
        self.name, self.code, self.data, self.threads = name, code, data, threads
        self.database_url = database_url
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("LEFTBOOK_")}
        self.env.update(PYTHONPATH=str(code), LEFTBOOK_DATA_DIR=str(data),
                        LEFTBOOK_BOARDS_DIR=str(data / "boards"), LEFTBOOK_TOR="off",
                        LEFTBOOK_FLOOD="off", LEFTBOOK_CAPTCHA="off",
                        LEFTBOOK_PRUNE_INTERVAL="3600")
        if database_url:
            self.env["LEFTBOOK_DATABASE_URL"] = database_url
        self.env.update(env)
        self.process: subprocess.Popen | None = None
        self.base = ""

    def start(self) -> "Server":
        port = free_port()
        with (self.data / f"serve-{port}.log").open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-P", "-c", SERVE, "serve", "--port", str(port), "--threads",
                 str(self.threads), "--no-onion"], env=self.env, cwd=self.data,
                stdout=log, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{port}"
        wait_until_serving(self.base + "/", self.process)
        return self

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            stop_process(process)


def wait_until_serving(url: str, process: subprocess.Popen) -> None:
    """Return once `url` answers 2xx; exit the bench if the server died or never answered."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server for {url} exited with {process.returncode}")
        try:
            requests.get(url, timeout=10).raise_for_status()
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise SystemExit(f"nothing answered {url} within {START_SECONDS}s")


def stop_process(process: subprocess.Popen) -> None:
    """SIGTERM (the server finishes what it serves), then SIGKILL after 20 s."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


def _admin(url: str):
    import psycopg2  # the postgres extra

    parts = urlsplit(url)
    connection = psycopg2.connect(host=parts.hostname, port=parts.port,
                                  user=parts.username or "postgres", dbname="postgres")
    connection.autocommit = True
    return connection, parts


def clone_database(url: str, suffix: str) -> str:
    """A copy of the PostgreSQL database `url` (CREATE DATABASE ... TEMPLATE), its URL."""
    connection, parts = _admin(url)
    source = parts.path.lstrip("/")
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{source}_{suffix}"')
        cursor.execute(f'CREATE DATABASE "{source}_{suffix}" TEMPLATE "{source}"')
    connection.close()
    return parts._replace(path=f"/{source}_{suffix}").geturl()


def drop_database(url: str) -> None:
    connection, parts = _admin(url)
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}"')
    connection.close()


def count_posts(server: "Server") -> int:
    if server.database_url:
        import psycopg2

        with psycopg2.connect(server.database_url) as connection, connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM post")
            return cur.fetchone()[0]
    with sqlite3.connect(f"file:{server.data / 'leftbook.db'}?mode=ro", uri=True) as db:
        return db.execute("SELECT count(*) FROM post").fetchone()[0]


def _raw(url: str, headers: dict[str, str]) -> tuple[int, int]:
    """(header bytes, body bytes) of a GET as sent on the wire (body not decoded)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    connection.request("GET", parts.path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    head = len(f"HTTP/1.1 {response.status} {response.reason}\r\n") + sum(
        len(k) + len(v) + 4 for k, v in response.getheaders()) + 2
    connection.close()
    return head, len(body)


def wire_bytes(url: str) -> dict[str, int]:
    """Bytes of a first visit to `url`, plain and with Accept-Encoding: gzip."""
    _head, plain = _raw(url, {})
    gzip_head, gzipped = _raw(url, {"Accept-Encoding": "gzip"})
    return {"plain": plain, "gzip": gzipped, "headers": gzip_head}
