"""`leftbook serve`: waitress on loopback, strict headers, and no request details in its output."""

import subprocess
import time

import requests

from tests.serving import LEFTBOOK, free_port, running_site, server_env, stop


def test_refuses_a_public_address(runner):
    result = runner.invoke(args=["serve", "--host", "0.0.0.0", "--no-onion"])  # noqa: S104
    assert result.exit_code != 0
    assert "only be reached through Tor" in result.output


def test_serves_on_loopback_without_logging_requests(tmp_path):
    with running_site(tmp_path) as site:
        home = requests.get(site.base + "/", timeout=5)
        assert home.status_code == 200 and "Server" not in home.headers
        assert requests.get(site.base + "/soc/?secret-query=marker7", timeout=5
                            ).status_code == 200
        assert requests.get(site.base + "/", headers={"Host": "evil.example"}, timeout=5
                            ).status_code == 421
        assert requests.get(site.base + "/no-such-board-marker8/", timeout=5).status_code == 404
    output = site.log.read_text()
    assert f"{site.base}/" in output
    assert "marker7" not in output and "marker8" not in output and "evil.example" not in output
    assert "GET" not in output and "python-requests" not in output


def test_forcing_another_address_warns(tmp_path):
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [LEFTBOOK, "serve", "--host", "127.0.0.2", "--port", str(port), "--no-onion",
             "--i-know-this-bypasses-tor"],
            env=server_env(tmp_path / "data"), stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while "WARNING" not in log.read_text():
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        response = requests.get(f"http://127.0.0.2:{port}/", timeout=5)
        assert response.status_code == 421, "only loopback names and the onion name answer"
    finally:
        stop(process)
    assert "bypassing Tor" in log.read_text()
