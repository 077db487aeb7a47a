"""The onion package and the publishing glue, against a real tor with DisableNetwork 1."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import onion.control
from leftbook.serving.publishing import onion_address, publish_site
from onion import (
    Onion,
    PowSettings,
    PublicationTimeout,
    ServiceRejected,
    address_of_key_file,
    new_client_keypair,
)
from onion.x25519 import public_key
from tests.torlab import free_port, offline_tor, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.tor]


@pytest.fixture
def connect(tor, messages):
    """`connect()` makes an Onion on the offline tor's control port; all are closed after."""
    made: list[Onion] = []

    def make(**options) -> Onion:
        made.append(Onion(f"control:127.0.0.1:{tor.control_port}", log=messages.append,
                          **options))
        return made[-1]

    yield make
    for each in made:
        each.close()


def can_add(tor, key_file) -> bool:
    """Whether another controller may publish this key now, i.e. nobody else publishes it."""
    with tor.controller() as other:
        blob = key_file.read_text().strip().partition(":")[2]
        reply = other.msg(f"ADD_ONION ED25519-V3:{blob} Port=80,127.0.0.1:9")
        return reply.is_ok()


def test_publish_makes_a_private_key_file_whose_address_tor_confirms(connect, tmp_path):
    key_file = tmp_path / "data" / "onion_key"
    service = connect()
    address = service.publish({80: 8080}, key_file, timeout=None)
    assert address.endswith(".onion") and len(address) == 62
    assert service.is_published()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().startswith("ED25519-V3:")
    assert address_of_key_file(key_file) == address
    assert not [name for name in os.listdir(key_file.parent) if name.startswith(".")]


def test_address_is_stable_across_restarts_and_readable_without_tor(connect, tmp_path):
    assert onion_address(tmp_path) is None
    first = connect()
    address = first.publish({80: 8080}, tmp_path / "onion_key", timeout=None)
    first.close()
    assert connect().publish({80: 8081}, tmp_path / "onion_key", timeout=None) == address
    assert onion_address(tmp_path) == address


def test_client_auth_publishes_and_gives_a_browser_key(connect, tmp_path):
    pair = new_client_keypair()
    service = connect()
    address = service.publish({80: 8080}, tmp_path / "onion_key", client_keys=[pair.public],
                              timeout=None)
    assert service.is_published()
    assert len(pair.private) == 52 and len(pair.public) == 52
    assert pair.auth_private_line(address) == (
        f"{address.removesuffix('.onion')}:descriptor:x25519:{pair.private}")
    with pytest.raises(ServiceRejected, match="client auth"):
        connect().publish({80: 8080}, tmp_path / "other_key", client_keys=["AAAA"],
                          timeout=None)


def test_x25519_matches_rfc7748():
    secret = bytes.fromhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
    assert public_key(secret).hex() == (
        "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")


def test_pow_keywords_are_accepted_without_warning(connect, tmp_path, messages):
    service = connect()
    service.publish({80: 8080}, tmp_path / "onion_key", timeout=None,
                    pow_settings=PowSettings(queue_rate=100, queue_burst=1000))
    assert service.is_published()
    assert not [m for m in messages if "proof-of-work" in m]


def test_pow_refused_by_tor_falls_back_with_a_warning(connect, tmp_path, messages):
    service = connect()
    service.publish({80: 8080}, tmp_path / "onion_key", timeout=None,
                    pow_settings=PowSettings(queue_rate=-5))
    assert service.is_published()
    assert any("proof-of-work" in m and "without it" in m for m in messages)


def test_remove_and_close_withdraw_the_service(connect, tor, tmp_path):
    key_file = tmp_path / "onion_key"
    service = connect()
    service.publish({80: 8080}, key_file, timeout=None)
    assert not can_add(tor, key_file)
    service.remove()
    assert not service.is_published()
    assert service.controller.get_info("onions/current") == ""
    service.publish({80: 8080}, key_file, timeout=None)
    service.close()
    assert can_add(tor, key_file)


def test_publication_timeout_removes_the_service(connect, tor, tmp_path, messages):
    key_file = tmp_path / "onion_key"
    with pytest.raises(PublicationTimeout, match="was not published within 1 s"):
        connect().publish({80: 8080}, key_file, timeout=1)
    assert can_add(tor, key_file)
    assert any("waiting for tor to publish" in m and "bootstrapped" in m for m in messages)


def test_reconnects_and_republishes_after_tor_restarts(tmp_path, messages):
    port = free_port()
    tor = offline_tor(tmp_path / "tor", control_port=port)
    service = Onion(f"control:127.0.0.1:{port}", log=messages.append)
    try:
        address = service.publish({80: 8080}, tmp_path / "onion_key", timeout=None)
        service.watch(interval=0.1, max_backoff=0.4)
        tor.process.kill()
        tor.process.wait()
        wait_until(lambda: any("still unreachable" in m for m in messages), 10, "a retry")
        tor = offline_tor(tmp_path / "tor", control_port=port)
        wait_until(service.is_published, 10, "re-publication on the restarted tor")
        assert service.address == address
        assert not can_add(tor, tmp_path / "onion_key")
        assert any(m == f"re-published {address}" for m in messages)
    finally:
        service.close()
        tor.stop()


def test_launched_tor_is_private_restarted_and_stopped(tmp_path, messages):
    service = Onion("launch", tor_data_dir=tmp_path / "tor", log=messages.append,
                    tor_config={"DisableNetwork": "1"})
    try:
        address = service.publish({80: 8080}, tmp_path / "onion_key", timeout=None)
        assert stat.S_IMODE((tmp_path / "tor").stat().st_mode) == 0o700
        assert service.controller.get_conf("SocksPort") == "0"
        first = service.launched.process
        service.watch(interval=0.1)
        first.kill()
        wait_until(lambda: service.launched and service.launched.process is not first
                   and service.is_published(), 15, "a new tor publishing the service")
        second = service.launched.process
        assert service.address == address
    finally:
        service.close()
    assert second.poll() is not None and first.poll() is not None


def process_gone(pid: int) -> bool:
    try:
        return "\nState:\tZ" in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True


def test_launched_tor_dies_with_the_process_that_launched_it(tmp_path):
    script = (
        "import sys, time; from pathlib import Path; from onion import Onion\n"
        "o = Onion('launch', tor_data_dir=Path(sys.argv[1]), log=lambda m: None,"
        " tor_config={'DisableNetwork': '1'})\n"
        "o.publish({80: 8080}, Path(sys.argv[2]), timeout=None)\n"
        "print(o.launched.process.pid, flush=True); time.sleep(60)\n"
    )
    owner = subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "tor"),
                              str(tmp_path / "onion_key")], stdout=subprocess.PIPE, text=True)
    tor_pid = 0
    try:
        tor_pid = int(owner.stdout.readline())
        assert not process_gone(tor_pid)
        owner.kill()
        owner.wait()
        wait_until(lambda: process_gone(tor_pid), 10, "tor to exit with its owner")
    finally:
        owner.kill()
        owner.wait()
        owner.stdout.close()
        if tor_pid and not process_gone(tor_pid):
            os.kill(tor_pid, signal.SIGKILL)


def test_auto_uses_a_reachable_system_tor(tor, tmp_path, monkeypatch, messages):
    monkeypatch.setattr(onion.control, "SYSTEM_CONTROLS",
                        ("socket:/nonexistent/control", f"control:127.0.0.1:{tor.control_port}"))
    with Onion("auto", tor_data_dir=tmp_path / "own", log=messages.append) as service:
        service.publish({80: 8080}, tmp_path / "onion_key", timeout=None)
        assert service.launched is None and service.is_published()


def test_publish_site_off_and_auto_without_tor(tmp_path, monkeypatch):
    logged: list[str] = []
    assert publish_site(tmp_path, "off", 8080, log=logged.append) is None
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(onion.control, "SYSTEM_CONTROLS", (f"control:127.0.0.1:{free_port()}",))
    assert publish_site(tmp_path, "auto", 8080, log=logged.append) is None
    notice = logged[-1]
    assert "apt-get install tor" in notice and "http://127.0.0.1:8080/" in notice


def test_publish_site_learns_address_and_keeps_client_key(tor, tmp_path, monkeypatch):
    monkeypatch.setattr("leftbook.serving.publishing.PUBLISH_TIMEOUT", 0.5)
    learned: list[str] = []
    mode = f"control:127.0.0.1:{tor.control_port}"
    client_keys = []
    for _ in range(2):
        with pytest.raises(PublicationTimeout):
            publish_site(tmp_path, mode, 8080, client_auth=True, on_address=learned.append,
                         log=lambda _m: None)
        client_keys.append((tmp_path / "onion_client_auth").read_text())
    assert client_keys[0] == client_keys[1] and client_keys[0].startswith("x25519:")
    assert learned == [onion_address(tmp_path)] * 2
    for name in ("onion_key", "onion_client_auth"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
    assert can_add(tor, tmp_path / "onion_key")

