"""`leftbook serve`: waitress on loopback, strict headers, and no request details in its output."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

LEFTBOOK = str(Path(sys.executable).parent / "leftbook")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_refuses_a_public_address(runner):
    result = runner.invoke(args=["serve", "--host", "0.0.0.0", "--no-onion"])  # noqa: S104
    assert result.exit_code != 0
    assert "only be reached through Tor" in result.output


def test_serves_on_loopback_without_logging_requests(tmp_path):
    port = free_port()
    env = {**os.environ, "LEFTBOOK_DATA_DIR": str(tmp_path / "data"), "LEFTBOOK_TOR": "off",
           "LEFTBOOK_FLOOD": "off", "LEFTBOOK_CAPTCHA": "off"}
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen([LEFTBOOK, "serve", "--port", str(port), "--no-onion"],
                                  env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                home = requests.get(base + "/", timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        assert home.status_code == 200 and "Server" not in home.headers
        assert requests.get(base + "/soc/?secret-query=marker7", timeout=5).status_code == 200
        assert requests.get(base + "/", headers={"Host": "evil.example"}, timeout=5
                            ).status_code == 421
        assert requests.get(base + "/no-such-board-marker8/", timeout=5).status_code == 404
    finally:
        server.terminate()
        server.wait(timeout=10)
    output = log.read_text()
    assert f"http://127.0.0.1:{port}/" in output
    assert "marker7" not in output and "marker8" not in output and "evil.example" not in output
    assert "GET" not in output and "python-requests" not in output
