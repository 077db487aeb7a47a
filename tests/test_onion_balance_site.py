"""Onionbalance backends seen from the site: publish_site and `leftbook serve` as a backend,
and a backend descriptor on a private Tor network."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
import stem
import stem.control

from leftbook.serving.publishing import publish_site
from onion import BackendOnion, OnionError, PublicationTimeout
from onion.keys import new_service_key, service_id
from tests.torlab import PrivateNetwork, free_port, service_options, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.tor]

MASTER = service_id(new_service_key()) + ".onion"  # a frontend address nobody publishes


def test_publish_site_as_backend_learns_the_master_address(tor, tmp_path, monkeypatch):
    monkeypatch.setattr("leftbook.serving.publishing.PUBLISH_TIMEOUT", None)
    learned, logged = [], []
    site = publish_site(tmp_path, f"control:127.0.0.1:{tor.control_port}", 8080,
                        onionbalance_master=MASTER, on_address=learned.append,
                        log=logged.append)
    try:
        assert learned == [MASTER] and site.address == MASTER
        service_dir = tmp_path / "onionbalance-8080" / "service"
        assert site.backend_address == (service_dir / "hostname").read_text().strip()
        assert any(site.backend_address in m and "frontend" in m for m in logged)
        assert not (tmp_path / "onion_key").exists()
    finally:
        site.close()
    assert service_options(tor) == []


def test_publish_site_as_backend_times_out_and_withdraws(tor, tmp_path, monkeypatch):
    monkeypatch.setattr("leftbook.serving.publishing.PUBLISH_TIMEOUT", 0.5)
    with pytest.raises(PublicationTimeout, match=r"was not published within 0\.5 s"):
        publish_site(tmp_path, f"control:127.0.0.1:{tor.control_port}", 8080,
                     onionbalance_master=MASTER, log=lambda _m: None)
    assert service_options(tor) == []


def test_backend_with_client_auth_is_refused(tmp_path):
    with pytest.raises(OnionError, match="Client authorisation cannot be used"):
        publish_site(tmp_path, f"control:127.0.0.1:{free_port()}", 8080, client_auth=True,
                     onionbalance_master=MASTER, log=lambda _m: None)


def test_backend_descriptor_reaches_the_hsdirs_of_a_private_network(tmp_path):
    lab = PrivateNetwork(tmp_path / "net")
    service = None
    try:
        lab.start()
        service = BackendOnion(f"control:127.0.0.1:{lab.service.control_port}",
                               log=lambda _m: None)
        started = time.monotonic()
        address = service.publish_backend({80: 8080}, tmp_path / "backend", MASTER, timeout=60)
        uploaded = time.monotonic() - started
        service_id_ = address.removesuffix(".onion")
        own = service.controller.get_info(f"hs/service/desc/id/{service_id_}")
        assert own.startswith("hs-descriptor 3\n")
        fetched = threading.Event()
        with lab.client.controller() as frontend:  # what Onionbalance's frontend does
            frontend.add_event_listener(
                lambda event: event.address == service_id_
                and event.action == stem.HSDescAction.RECEIVED and fetched.set(),
                stem.control.EventType.HS_DESC)
            wait_until(lambda: frontend.msg(f"HSFETCH {service_id_}").is_ok()
                       and fetched.wait(5), 30, "the client tor to fetch the descriptor")
        print(f"backend descriptor uploaded {uploaded:.1f} s after SETCONF")
        service.close()
        with pytest.raises(stem.ControllerError):
            service.controller.get_info(f"hs/service/desc/id/{service_id_}")
    finally:
        if service is not None:
            service.close()
        lab.stop()


def test_serve_as_backend_answers_to_the_master_and_withdraws_on_exit(tor, tmp_path):
    port = free_port()
    env = {**os.environ, "LEFTBOOK_TOR": f"control:127.0.0.1:{tor.control_port}",
           "LEFTBOOK_ONIONBALANCE_MASTER": MASTER, "LEFTBOOK_DATA_DIR": str(tmp_path / "data"),
           "LEFTBOOK_CAPTCHA": "off", "PYTHONUNBUFFERED": "1"}
    output = tmp_path / "serve.log"
    with output.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-c", "import sys; from leftbook.cli import main; sys.exit(main())",
             "serve", "--port", str(port), "--onion"], env=env, stdout=log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=Path(__file__).parents[1])
    try:
        wait_until(lambda: f"Onion service: http://{MASTER}/" in output.read_text()
                   and len(service_options(tor)) > 1, 30, "serve to configure the backend")
        assert service_options(tor)[0] == (
            f"HiddenServiceDir={tmp_path / 'data' / f'onionbalance-{port}' / 'service'}")
        url = f"http://127.0.0.1:{port}/"
        assert requests.get(url, headers={"Host": MASTER}, timeout=10).status_code == 200
        assert requests.get(url, headers={"Host": "b" * 56 + ".onion"},
                            timeout=10).status_code == 421
        server.terminate()
        assert server.wait(15) == 0, output.read_text()
        assert service_options(tor) == [], "the backend is withdrawn when serve stops"
    finally:
        server.kill()
        server.wait()
