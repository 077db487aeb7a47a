"""Publishing as an Onionbalance backend, against a real tor with DisableNetwork 1."""

from __future__ import annotations

import base64
import os
import signal
import stat
import tempfile
from pathlib import Path

import pytest

from leftbook.serving.publishing import publish_site
from onion import (
    BackendDirPermissions,
    BackendDirUnusable,
    BackendOnion,
    BackendRejected,
    BadMasterAddress,
    PowSettings,
    master_address,
)
from onion.keys import new_service_key, service_id
from tests.torlab import (
    free_port,
    offline_tor,
    service_options,
    start_tor,
    wait_until,
)

pytestmark = [pytest.mark.slow, pytest.mark.tor]

MASTER = service_id(new_service_key()) + ".onion"  # a frontend address nobody publishes


@pytest.fixture
def backend(tor, messages):
    """`backend()` makes a BackendOnion on the offline tor; all are closed after."""
    made: list[BackendOnion] = []

    def make(port: int | None = None) -> BackendOnion:
        made.append(BackendOnion(f"control:127.0.0.1:{port or tor.control_port}",
                                 log=messages.append))
        return made[-1]

    yield make
    for each in made:
        each.close()


def key_is_free(tor, service_dir: Path) -> bool:
    """Whether an ephemeral service may use the backend's key, i.e. tor no longer has it."""
    secret = (service_dir / "hs_ed25519_secret_key").read_bytes()[32:]
    with tor.controller() as other:
        blob = base64.b64encode(secret).decode()
        reply = other.msg(f"ADD_ONION ED25519-V3:{blob} Flags=DiscardPK Port=80,127.0.0.1:9")
        return reply.is_ok()


def test_backend_options_are_accepted_and_shown_by_getconf(backend, tor, tmp_path):
    service_dir = tmp_path / "backend"
    address = backend().publish_backend({80: 8080}, service_dir, MASTER, timeout=None)
    assert service_options(tor) == [
        f"HiddenServiceDir={service_dir}", "HiddenServicePort=80 127.0.0.1:8080",
        "HiddenServiceOnionBalanceInstance=1", "HiddenServiceMaxStreams=20",
        "HiddenServiceMaxStreamsCloseCircuit=1", "HiddenServicePoWDefensesEnabled=1",
        "HiddenServicePoWQueueRate=250", "HiddenServicePoWQueueBurst=2500",
    ]
    assert (service_dir / "hostname").read_text().strip() == address
    assert master_address(address) == address != MASTER
    assert stat.S_IMODE(service_dir.stat().st_mode) == 0o700


def test_ob_config_names_the_master_and_only_we_can_read_it(backend, tmp_path):
    backend().publish_backend({80: 8080}, tmp_path / "backend", MASTER.upper(), timeout=None)
    ob_config = tmp_path / "backend" / "ob_config"
    assert ob_config.read_text() == f"MasterOnionAddress {MASTER}\n"
    assert stat.S_IMODE(ob_config.stat().st_mode) == 0o600


def test_backend_address_is_stable_across_tor_restarts(tmp_path):
    addresses = []
    for _ in range(2):
        tor = offline_tor(tmp_path / "tor")
        service = BackendOnion(f"control:127.0.0.1:{tor.control_port}", log=lambda _m: None)
        try:
            addresses.append(service.publish_backend({80: 8080}, tmp_path / "backend", MASTER,
                                                     timeout=None))
        finally:
            service.close()
            tor.stop()
    assert addresses[0] == addresses[1]


def test_removal_withdraws_the_service_and_keeps_other_services(tmp_path):
    other = tmp_path / "other"
    tor = start_tor(tmp_path / "tor", {
        "DisableNetwork": "1", "CookieAuthentication": "1",
        "HiddenServiceDir": str(other), "HiddenServicePort": "80 127.0.0.1:9999",
    }, control_port=free_port())
    service = BackendOnion(f"control:127.0.0.1:{tor.control_port}", log=lambda _m: None)
    try:
        service.publish_backend({80: 8080}, tmp_path / "backend", MASTER, timeout=None)
        assert service.is_published()
        assert f"HiddenServiceDir={other}" in service_options(tor)
        assert not key_is_free(tor, tmp_path / "backend")
        service.close()
        assert not service.is_published()
        assert service_options(tor) == [f"HiddenServiceDir={other}",
                                        "HiddenServicePort=80 127.0.0.1:9999"]
        assert key_is_free(tor, tmp_path / "backend")
    finally:
        service.close()
        tor.stop()


def test_republished_after_tor_restarts(tmp_path, messages):
    port = free_port()
    tor = offline_tor(tmp_path / "tor", control_port=port)
    service = BackendOnion(f"control:127.0.0.1:{port}", log=messages.append)
    try:
        address = service.publish_backend({80: 8080}, tmp_path / "backend", MASTER,
                                          timeout=None)
        service.watch(interval=0.1, max_backoff=0.4)
        tor.process.kill()
        tor.process.wait()
        tor = offline_tor(tmp_path / "tor", control_port=port)
        wait_until(lambda: f"HiddenServiceDir={tmp_path / 'backend'}" in service_options(tor),
                   15, "the backend configured again on the restarted tor")
        assert service.address == address
        assert f"re-published {address}" in messages
    finally:
        service.close()
        tor.stop()


def test_configured_again_after_tor_reloads_its_configuration(backend, tor, tmp_path, messages):
    service = backend()
    address = service.publish_backend({80: 8080}, tmp_path / "backend", MASTER, timeout=None)
    tor.process.send_signal(signal.SIGHUP)
    wait_until(lambda: f"re-published {address} after tor reloaded its configuration"
               in messages, 10, "the backend configured again after SIGHUP")
    assert service.is_published()
    assert f"HiddenServiceDir={tmp_path / 'backend'}" in service_options(tor)


BAD_MASTERS = [
    " ", "example.com", f"http://{MASTER}/", MASTER[:-7] + "x.onion",
    "expyuzz4wqqyqhjn.onion",
    base64.b32encode(bytes(32) + b"\0\0\x02").decode().lower() + ".onion",
]


@pytest.mark.parametrize("bad", BAD_MASTERS)
def test_bad_master_address_is_refused_before_anything_is_sent(tmp_path, bad):
    silent = BackendOnion(f"control:127.0.0.1:{free_port()}")
    with pytest.raises(BadMasterAddress, match="LEFTBOOK_ONIONBALANCE_MASTER"):
        silent.publish_backend({80: 8080}, tmp_path / "backend", bad, timeout=None)
    learned: list[str] = []
    with pytest.raises(BadMasterAddress):
        publish_site(tmp_path / "data", f"control:127.0.0.1:{free_port()}", 8080,
                     onionbalance_master=bad, on_address=learned.append, log=lambda _m: None)
    assert learned == []
    assert not (tmp_path / "backend").exists()
    assert not list((tmp_path / "data").glob("onionbalance-*"))


def test_master_address_is_checked_and_normalised():
    assert master_address(f"  {MASTER.removesuffix('.onion').upper()} ") == MASTER
    with pytest.raises(BadMasterAddress, match="mistyped"):
        master_address(MASTER[:10] + ("a" if MASTER[10] != "a" else "b") + MASTER[11:])
    with pytest.raises(BadMasterAddress, match="version 3"):
        master_address(BAD_MASTERS[-1])


def test_pow_refused_by_tor_falls_back_with_a_warning(backend, tor, tmp_path, messages):
    service = backend()
    service.publish_backend({80: 8080}, tmp_path / "backend", MASTER, timeout=None,
                            pow_settings=PowSettings(queue_rate=-5))
    assert service.is_published()
    assert "HiddenServicePoWDefensesEnabled=1" not in service_options(tor)
    assert "HiddenServiceMaxStreams=20" in service_options(tor)
    assert any("proof-of-work" in m and "HiddenServicePoWQueueRate" in m for m in messages)


def test_options_tor_refuses_are_reported_with_tors_reason(backend, tor, tmp_path):
    with pytest.raises(BackendRejected, match="hidden service port") as refused:
        backend().publish_backend({80: "nowhere:port"}, tmp_path / "backend", MASTER,
                                  timeout=None)
    assert "Onionbalance backend options" in str(refused.value)
    assert service_options(tor) == []


@pytest.mark.parametrize("mode", [0o750, 0o705, 0o777])
def test_service_dir_others_can_read_is_refused(backend, tor, tmp_path, mode):
    service_dir = tmp_path / "backend"
    service_dir.mkdir(mode=0o700)
    service_dir.chmod(mode)
    with pytest.raises(BackendDirPermissions, match="chmod 700"):
        backend().publish_backend({80: 8080}, service_dir, MASTER, timeout=None)
    assert not (service_dir / "ob_config").exists()
    assert service_options(tor) == []


def test_service_dir_that_is_not_ours_or_not_a_directory(backend, tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(BackendDirUnusable, match="not a directory"):
        backend().publish_backend({80: 8080}, tmp_path / "file", MASTER, timeout=None)
    if os.geteuid() != 0:
        return
    owned = tmp_path / "owned"
    owned.mkdir(mode=0o700)
    os.chown(owned, 65534, 65534)
    with pytest.raises(BackendDirUnusable, match="belongs to user id 65534"):
        backend().publish_backend({80: 8080}, owned, MASTER, timeout=None)


@pytest.mark.skipif(os.geteuid() != 0, reason="starting tor as another user needs root")
def test_tor_running_as_another_user_is_refused_before_writing():
    with tempfile.TemporaryDirectory() as scratch:  # pytest's tmp_path is closed to others
        base = Path(scratch)
        base.chmod(0o755)
        (base / "tor").mkdir(mode=0o700)
        os.chown(base / "tor", 65534, 65534)
        tor = start_tor(base / "tor", {"DisableNetwork": "1", "CookieAuthentication": "1",
                                       "User": "nobody"}, control_port=free_port())
        service = BackendOnion(f"control:127.0.0.1:{tor.control_port}", log=lambda _m: None)
        try:
            with pytest.raises(BackendDirUnusable, match=r"tor runs as user nobody.*launch"):
                service.publish_backend({80: 8080}, base / "backend", MASTER, timeout=None)
            assert not (base / "backend").exists()
        finally:
            service.close()
            tor.stop()
