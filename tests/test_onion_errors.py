"""Named failures of the onion package, each with a message saying what to do (real tor)."""

from __future__ import annotations

import base64
import contextlib
import socket
import threading

import pytest
import stem.version

import onion.control
from leftbook.serving.publishing import publish_site
from onion import (
    AddressInUse,
    AuthFailed,
    BadTorMode,
    CannotConnect,
    KeyFileInvalid,
    KeyFilePermissions,
    KeyFileUnreadable,
    Onion,
    TorLaunchFailed,
    TorNotFound,
    TorTooOld,
    address_of_key_file,
    parse_mode,
)
from tests.torlab import free_port, offline_tor

pytestmark = [pytest.mark.slow, pytest.mark.tor]


@pytest.fixture
def connect(tor):
    """`connect()` makes an Onion on the offline tor's control port; all are closed after."""
    made: list[Onion] = []

    def make() -> Onion:
        made.append(Onion(f"control:127.0.0.1:{tor.control_port}", log=lambda _m: None))
        return made[-1]

    yield make
    for each in made:
        each.close()


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660])
def test_key_readable_by_others_is_refused(connect, tmp_path, mode):
    key_file = tmp_path / "onion_key"
    connect().publish({80: 8080}, key_file, timeout=None)
    key_file.chmod(mode)
    with pytest.raises(KeyFilePermissions, match="chmod 600"):
        connect().publish({80: 8080}, key_file, timeout=None)
    with pytest.raises(KeyFilePermissions):
        address_of_key_file(key_file)


@pytest.mark.parametrize("content", [
    "garbage\n", "ED25519-V3:not base64!\n",
    "ED25519-V3:" + base64.b64encode(b"x" * 32).decode() + "\n",
    "RSA1024:" + base64.b64encode(b"x" * 64).decode() + "\n",
])
def test_bad_key_file_is_refused_and_left_alone(connect, tmp_path, content):
    key_file = tmp_path / "onion_key"
    key_file.write_text(content)
    key_file.chmod(0o600)
    with pytest.raises(KeyFileInvalid, match="delete it"):
        connect().publish({80: 8080}, key_file, timeout=None)
    assert key_file.read_text() == content


def test_key_path_that_cannot_be_read(connect, tmp_path):
    (tmp_path / "onion_key").mkdir(mode=0o700)
    with pytest.raises(KeyFileUnreadable):
        connect().publish({80: 8080}, tmp_path / "onion_key", timeout=None)


def test_same_key_published_twice_is_a_collision(connect, tmp_path):
    address = connect().publish({80: 8080}, tmp_path / "onion_key", timeout=None)
    with pytest.raises(AddressInUse, match=address):
        connect().publish({80: 8080}, tmp_path / "onion_key", timeout=None)


def test_missing_tor_binary(tmp_path):
    service = Onion("launch", tor_cmd=str(tmp_path / "no" / "tor"), tor_data_dir=tmp_path)
    with pytest.raises(TorNotFound, match="apt-get install tor"):
        service.publish({80: 8080}, tmp_path / "onion_key", timeout=None)


def test_tor_that_fails_to_start(tmp_path):
    service = Onion("launch", tor_data_dir=tmp_path / "tor", tor_config={"NoSuchOption": "1"})
    with pytest.raises(TorLaunchFailed, match="Could not start tor"):
        service.publish({80: 8080}, tmp_path / "onion_key", timeout=None)


@pytest.mark.parametrize("mode", ["control:127.0.0.1:{port}", "socket:{tmp}/control"])
def test_nothing_listening(tmp_path, mode):
    service = Onion(mode.format(port=free_port(), tmp=tmp_path))
    with pytest.raises(CannotConnect, match="ControlPort 9051"):
        service.publish({80: 8080}, tmp_path / "onion_key", timeout=None)


@pytest.fixture
def impostor():
    """A loopback port where something that is not tor answers (or stays silent)."""
    listener = socket.create_server(("127.0.0.1", 0))
    replies = {"reply": b"HTTP/1.0 400 Bad Request\r\n\r\n"}
    held = []

    def serve():
        with contextlib.suppress(OSError):
            while True:
                peer, _ = listener.accept()
                held.append(peer)
                if replies["reply"]:
                    peer.recv(100)
                    peer.sendall(replies["reply"])
                    peer.close()

    threading.Thread(target=serve, daemon=True).start()
    yield listener.getsockname()[1], replies
    listener.close()
    for peer in held:
        peer.close()


def test_something_that_is_not_tor(impostor):
    port, _ = impostor
    with pytest.raises(CannotConnect, match="not tor"):
        Onion(f"control:127.0.0.1:{port}").connect()


def test_silent_control_port_is_given_up(impostor, monkeypatch):
    port, replies = impostor
    replies["reply"] = b""
    monkeypatch.setattr(onion.control, "CONNECT_TIMEOUT", 0.5)
    with pytest.raises(CannotConnect, match=r"no answer within 0\.5 s"):
        Onion(f"control:127.0.0.1:{port}").connect()


@pytest.mark.parametrize("password", [None, "wrong"])
def test_wrong_control_password(tmp_path, password):
    tor = offline_tor(tmp_path / "tor", password="right")
    try:
        with pytest.raises(AuthFailed, match="LEFTBOOK_TOR_PASSWORD"):
            Onion(f"control:127.0.0.1:{tor.control_port}", password=password).connect()
        with Onion(f"control:127.0.0.1:{tor.control_port}", password="right") as service:
            service.publish({80: 8080}, tmp_path / "onion_key", timeout=None)
    finally:
        tor.stop()


@pytest.mark.parametrize("mode", ["control", "launch"])
def test_tor_too_old(tor, tmp_path, monkeypatch, mode):
    monkeypatch.setattr(onion.control, "MINIMUM_TOR", stem.version.Version("99.0.0"))
    target = f"control:127.0.0.1:{tor.control_port}" if mode == "control" else mode
    with pytest.raises(TorTooOld, match="Upgrade tor"):
        Onion(target, tor_data_dir=tmp_path / "own").connect()


@pytest.mark.parametrize("mode", ["", "tor", "control:9051", "control:host:port", "socket:"])
def test_bad_mode(mode):
    with pytest.raises(BadTorMode, match="auto, launch"):
        parse_mode(mode)


def test_publish_site_forced_mode_raises(tmp_path):
    with pytest.raises(CannotConnect):
        publish_site(tmp_path, f"control:127.0.0.1:{free_port()}", 8080, log=lambda _m: None)
