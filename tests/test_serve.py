"""`leftbook serve`: waitress on loopback, strict headers, and no request details in its output."""

import subprocess
import time

import pytest
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
        while "WARNING: listening on" not in log.read_text():
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        response = requests.get(f"http://127.0.0.2:{port}/", timeout=5)
        assert response.status_code == 421, "only loopback names and the onion name answer"
    finally:
        stop(process)
    assert "bypassing Tor" in log.read_text()


@pytest.mark.parametrize("uid", [0, 1000])
def test_serve_warns_when_run_as_root_and_still_runs(runner, app, monkeypatch, uid):
    served = []
    monkeypatch.setattr("leftbook.cli.os.geteuid", lambda: uid)
    monkeypatch.setattr("leftbook.cli.run_server", lambda *_a, **kw: served.append(kw))
    result = runner.invoke(args=["serve", "--no-onion"])
    assert result.exit_code == 0, result.output
    assert len(served) == 1, "serve runs either way"
    data_dir = app.config["SETTINGS"].data_dir
    if uid == 0:
        assert "WARNING: leftbook serve is running as root" in result.stderr
        assert f"sudo -u leftbook env LEFTBOOK_DATA_DIR={data_dir} leftbook serve" \
            in result.stderr
        assert "docs/operations.md" in result.stderr
    else:
        assert "root" not in result.output
