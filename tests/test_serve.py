"""`leftbook serve`: waitress on loopback, strict headers, and no request details in its output."""

import requests

from tests.serving import running_site


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
