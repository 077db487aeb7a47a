"""Connection floods against a real `leftbook serve`: readers are still served, slow and idle
connections are closed at their deadlines, and the most wasteful make room when it is full."""

import socket
import subprocess
import time
from pathlib import Path

import pytest

import onion.balance
import onion.service
from leftbook.serving import publishing
from leftbook.serving.channels import Limits
from onion import PublicationTimeout
from onion.keys import new_service_key, service_id
from tests.serving import Hostile, running_site, timed_get
from tests.torlab import TOR

pytestmark = pytest.mark.slow

LIMITS = Limits()
FLOOD = LIMITS.budget + 100
"""More hostile sockets than the budget, so that eviction must make room for readers."""
READER_BOUND = 5.0
"""Seconds a reader may wait in a test (bench/ checks the real target, 2 s)."""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with running_site(tmp_path_factory.mktemp("connections")) as running:
        yield running


def port_of(site) -> int:
    return int(site.base.rsplit(":", 1)[1])


def wait_for(check, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check() and time.monotonic() < deadline:
        time.sleep(0.05)


def assert_readers_served(site, count: int = 5) -> list[float]:
    times = []
    for _ in range(count):
        seconds, status = timed_get(site.base + "/soc/", timeout=30)
        assert status == 200, f"reader got {status or 'no answer'} after {seconds:.1f} s"
        assert seconds < READER_BOUND, f"reader waited {seconds:.1f} s"
        times.append(seconds)
        time.sleep(0.2)
    return times


@pytest.mark.parametrize("kind", ["idle", "headers", "body"])
def test_reader_is_served_during_a_flood(site, kind):
    with Hostile(port_of(site), kind, FLOOD) as flood:
        wait_for(lambda: flood.open_now >= LIMITS.budget, 5)
        time.sleep(0.5)
        assert_readers_served(site)
        assert flood.lifetimes, "with more sockets than the budget, some were evicted"
        assert min(flood.lifetimes) < LIMITS.header_timeout, "evicted before any deadline"


def test_an_upload_in_progress_outlives_an_idle_flood(site):
    """Eviction takes the idle and the slow, not a body arriving at a good rate."""
    head = (b"POST /soc/post HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: %d\r\n\r\n")
    chunk, chunks = b"body=" + b"a" * 8187, 30  # 240 KB at ~80 KB/s: 3 s
    with Hostile(port_of(site), "idle", FLOOD) as flood:
        wait_for(lambda: flood.open_now >= LIMITS.budget, 5)
        with socket.create_connection(("127.0.0.1", port_of(site)), timeout=10) as upload:
            upload.sendall(head % (len(chunk) * chunks))
            for _ in range(chunks):
                upload.sendall(chunk)
                time.sleep(0.1)
            answer = upload.recv(64)
        evicted = len(flood.lifetimes)
    assert answer.startswith(b"HTTP/1.1 "), "the upload got an answer, not a reset"
    assert evicted > FLOOD, "the flood was churning while the upload ran"


def test_slow_and_idle_connections_are_closed_at_their_deadlines(site):
    port, few = port_of(site), LIMITS.budget // 4  # 3 x 125 < budget: no eviction
    floods = [Hostile(port, kind, few, reconnect=False) for kind in ("headers", "body", "idle")]
    for flood in floods:
        flood.__enter__()
    try:
        wait_for(lambda: sum(f.open_now for f in floods) >= 3 * few, 5)
        assert_readers_served(site, count=3)
        headers, body, idle = floods
        wait_for(lambda: not any(f.open_now for f in floods), LIMITS.idle_timeout + 5)
    finally:
        for flood in floods:
            flood.__exit__(None, None, None)
    slack = 2.5
    for flood, deadline in ((headers, LIMITS.header_timeout), (idle, LIMITS.idle_timeout),
                            (body, LIMITS.body_grace)):
        assert len(flood.lifetimes) == few, "every slow or idle connection was closed"
        assert deadline - 0.5 < min(flood.lifetimes), "none before its deadline"
        assert max(flood.lifetimes) < deadline + slack, "all soon after it"


@pytest.mark.parametrize("head", [
    b"POST /soc/post HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: gzip, chunked\r\n",
    b"POST /soc/post HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: gzip\r\n",
    b"POST /soc/post HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: identity\r\n",
    b"POST /soc/post HTTP/1.0\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
    b"Content-Length: 5\r\n",
])
def test_unsupported_transfer_coding_is_a_client_error(site, head):
    with socket.create_connection(("127.0.0.1", port_of(site)), timeout=10) as sock:
        sock.sendall(head + b"\r\n0\r\n\r\n")
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    status = answer.split(b"\r\n", 1)[0]
    assert status.startswith((b"HTTP/1.1 400", b"HTTP/1.0 400")), answer
    assert b"Transfer-Encoding" in answer, "the message says what was wrong"


# --- the tor side: what leftbook asks of tor is accepted (a real tor, DisableNetwork 1) ----


@pytest.mark.tor
def test_tor_accepts_the_sites_stream_limit_and_pow_queue(tor, tmp_path, monkeypatch):
    sent: list[tuple[str, object]] = []
    send = onion.service._send

    def spy(controller, command: str):
        sent.append((command, reply := send(controller, command)))
        return reply

    monkeypatch.setattr(onion.service, "_send", spy)
    monkeypatch.setattr(publishing, "PUBLISH_TIMEOUT", 0.5)
    logged: list[str] = []
    with pytest.raises(PublicationTimeout):  # accepted, then no upload: tor is offline
        publish_site_on(tor, tmp_path, log=logged.append)
    [(command, reply)] = sent
    assert reply.is_ok(), reply
    words = command.split()
    assert "MaxStreamsCloseCircuit" in next(w for w in words if w.startswith("Flags="))
    assert {"MaxStreams=20", "PoWDefensesEnabled=1", "PoWQueueRate=25",
            "PoWQueueBurst=250"} <= set(words)
    assert not [m for m in logged if "proof-of-work" in m], "no fallback without PoW"
    with tor.controller() as other:  # tor checks the value: the keyword is not ignored
        blob = new_service_key()
        assert "Invalid MaxStreams" in str(other.msg(
            onion.service.add_onion_command(blob, {80: 8080}, max_streams=65536)))


@pytest.mark.tor
def test_tor_accepts_the_backends_stream_limit_and_pow_queue(tor, tmp_path, monkeypatch):
    configured: list[tuple[list[tuple[str, str]], str]] = []
    set_service = onion.balance._set_service

    def spy(controller, service_dir, options):
        configured.append((options, refusal := set_service(controller, service_dir, options)))
        return refusal

    monkeypatch.setattr(onion.balance, "_set_service", spy)
    monkeypatch.setattr(publishing, "PUBLISH_TIMEOUT", 0.5)
    master = service_id(new_service_key()) + ".onion"
    with pytest.raises(PublicationTimeout):
        publish_site_on(tor, tmp_path, onionbalance_master=master)
    [(options, refusal)] = configured
    assert refusal == ""
    assert {("HiddenServiceMaxStreams", "20"), ("HiddenServiceMaxStreamsCloseCircuit", "1"),
            ("HiddenServicePoWDefensesEnabled", "1"), ("HiddenServicePoWQueueRate", "25"),
            ("HiddenServicePoWQueueBurst", "250")} <= set(options)


def publish_site_on(tor, data_dir, **options):
    options.setdefault("log", lambda _message: None)
    return publishing.publish_site(data_dir, f"control:127.0.0.1:{tor.control_port}", 8080,
                                   **options)


@pytest.mark.tor
def test_tor_accepts_torrc_example(tmp_path):
    example = (Path(__file__).parent.parent / "torrc.example").read_text()
    assert "HiddenServicePoWQueueRate 25\n" in example, "the numbers leftbook uses itself"
    assert "HiddenServiceMaxStreams 20\n" in example
    torrc = tmp_path / "torrc"
    torrc.write_text(example.replace("/var/lib/tor/leftbook/", f"{tmp_path / 'service'}/")
                     + f"DataDirectory {tmp_path / 'data'}\nDisableNetwork 1\n")
    checked = subprocess.run([TOR, "--verify-config", "-f", str(torrc)], capture_output=True,
                             text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
