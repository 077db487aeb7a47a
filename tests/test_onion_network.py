"""End to end on a private Tor network on 127.0.0.1: pages fetched through onion addresses."""

from __future__ import annotations

import base64
import contextlib
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from leftbook.serving.publishing import publish_site
from onion import Onion
from tests.helpers import CSRF_INPUT
from tests.torlab import PrivateNetwork, free_port, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.tor]

ADDRESS_LINE = re.compile(r"http://([a-z2-7]{56}\.onion)/")
THREAD_LINK = re.compile(r'href="/([a-z0-9]+)/res/(\d+)\.html')


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    """One private network for the module: starting it is most of the time spent."""
    lab = PrivateNetwork(tmp_path_factory.mktemp("net"))
    try:
        lab.start()
        yield lab
    finally:
        lab.stop()


def tor_session(network: PrivateNetwork) -> requests.Session:
    session = requests.Session()
    proxy = f"socks5h://127.0.0.1:{network.client.socks_port}"
    session.proxies = {"http": proxy, "https": proxy}
    return session


def get_through_tor(session: requests.Session, url: str, timeout: float = 40):
    """GET `url` through the client tor, retrying about once a second (bounded)."""
    def attempt():
        response = session.get(url, timeout=10)
        return response if response.status_code < 500 else None
    return wait_until(attempt, timeout, f"GET {url} through tor", interval=1)


class HelloHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"hello from behind the onion"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        """Quiet."""


def test_page_fetched_through_onion_address(network, tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), HelloHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    onion = Onion(f"control:127.0.0.1:{network.service.control_port}", log=lambda _m: None)
    try:
        started = time.monotonic()
        address = onion.publish({80: server.server_address[1]}, tmp_path / "onion_key",
                                timeout=60)
        response = get_through_tor(tor_session(network), f"http://{address}/")
        assert response.status_code == 200
        assert response.text == "hello from behind the onion"
        print(f"published and fetched in {time.monotonic() - started:.1f} s")
    finally:
        onion.close()
        server.shutdown()
        server.server_close()


def test_private_site_needs_the_client_key(network, tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), HelloHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    site = publish_site(tmp_path, f"control:127.0.0.1:{network.service.control_port}",
                        server.server_address[1], client_auth=True, log=lambda _m: None)
    try:
        url, session = f"http://{site.address}/", tor_session(network)
        with pytest.raises(requests.exceptions.ConnectionError):
            session.get(url, timeout=20)
        address, kind, algorithm, private = site.client_auth_line.split(":")
        assert (f"{address}.onion", kind, algorithm) == (site.address, "descriptor", "x25519")
        blob = base64.b64encode(base64.b32decode(private + "====")).decode()
        with network.client.controller() as client:
            reply = client.msg(f"ONION_CLIENT_AUTH_ADD {address} x25519:{blob}")
            assert reply.content()[0][0] in ("250", "251", "252"), str(reply)
        assert get_through_tor(session, url).text == "hello from behind the onion"
    finally:
        site.close()
        server.shutdown()
        server.server_close()


def leftbook_command() -> list[str]:
    script = Path(sys.executable).with_name("leftbook")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from leftbook.cli import main; sys.exit(main())"]


def test_leftbook_serve_reachable_and_postable_through_tor(network, tmp_path):
    port = free_port()
    env = {**os.environ, "LEFTBOOK_TOR": f"control:127.0.0.1:{network.service.control_port}",
           "LEFTBOOK_DATA_DIR": str(tmp_path / "data"), "LEFTBOOK_FLOOD": "off",
           "LEFTBOOK_CAPTCHA": "off", "PYTHONUNBUFFERED": "1"}
    output = tmp_path / "serve.log"
    with output.open("w") as log:
        server = subprocess.Popen([*leftbook_command(), "serve", "--port", str(port), "--onion"],
                                  env=env, stdout=log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, cwd=Path(__file__).parents[1])
    try:
        address = wait_until(lambda: _address_in(output) or server.poll() is not None, 60,
                             "leftbook serve to print its onion address", interval=0.25)
        assert server.poll() is None, f"leftbook serve exited: {output.read_text()}"
        session = tor_session(network)
        home = get_through_tor(session, f"http://{address}/")
        assert home.status_code == 200, home.text
        board, thread = _first_thread(session, address, home.text)
        page = session.get(f"http://{address}/{board}/res/{thread}.html", timeout=30)
        token = CSRF_INPUT.search(page.text)
        assert token, "the thread page carries a CSRF token"
        reply = session.post(
            f"http://{address}/{board}/post", timeout=30, allow_redirects=False,
            data={"thread": thread, "body": "a reply sent through tor",
                  "csrf_token": token.group(1)})
        assert reply.status_code == 303, reply.text
        shown = session.get(f"http://{address}{reply.headers['Location']}", timeout=30)
        assert "a reply sent through tor" in shown.text
        status = subprocess.run([*leftbook_command(), "status", "--json"], env=env,
                                capture_output=True, text=True, timeout=60)
        onion = json.loads(status.stdout)["onion"]
        assert (onion["address"], onion["published"]) == (address, True), status.stdout
        assert onion["tor"]["bootstrap"].startswith("100%")
        server.terminate()
        assert server.wait(15) == 0, output.read_text()
        key = (tmp_path / "data" / "onion_key").read_text().strip()
        with network.service.controller() as other:
            assert other.msg(f"ADD_ONION {key} Port=80,127.0.0.1:9").is_ok(), "service removed"
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _address_in(output: Path) -> str | None:
    match = ADDRESS_LINE.search(output.read_text())
    return match.group(1) if match else None


def _first_thread(session: requests.Session, address: str, home: str) -> tuple[str, str]:
    """A thread to reply to: the first one listed, or a new one opened through tor."""
    board = re.search(r'href="/([a-z0-9]+)/"', home).group(1)
    index = session.get(f"http://{address}/{board}/", timeout=30).text
    found = THREAD_LINK.search(index)
    if found:
        return found.group(1), found.group(2)
    token = CSRF_INPUT.search(index).group(1)
    opened = session.post(f"http://{address}/{board}/post", timeout=30, allow_redirects=False,
                          data={"subject": "over tor", "body": "first post through tor",
                                "csrf_token": token})
    assert opened.status_code == 303, opened.text
    with contextlib.suppress(AttributeError):
        return board, re.search(r"/res/(\d+)\.html", opened.headers["Location"]).group(1)
    raise AssertionError(f"unexpected redirect {opened.headers.get('Location')}")
