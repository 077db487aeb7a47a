"""`leftbook serve`: waitress on loopback, strict headers, and no request details in its output."""

import errno
import socket
import subprocess
import time

import pytest
import requests
from waitress.adjustments import Adjustments

from leftbook.serving import guard
from leftbook.serving.channels import Limits, StrictParser, TimedChannel
from leftbook.serving.guard import GuardedServer
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


# --- the connection policy, on a GuardedServer that is never run (leftbook/serving/guard.py) --

LIMITS = Limits(budget=4)


def nothing(environ, start_response):
    start_response("204 No Content", [])
    return [b""]


@pytest.fixture
def guarded():
    """`(server, connect)`: `connect(*requests)` attaches a channel that has received those
    bytes, as the loop would after accepting it in an earlier round."""
    server = GuardedServer(nothing, LIMITS, host="127.0.0.1", port=0, threads=1)
    sockets: list[socket.socket] = []

    def connect(*data: bytes) -> TimedChannel:
        ours, theirs = socket.socketpair()
        sockets.append(theirs)
        channel = TimedChannel(server, ours, ("127.0.0.1", 0), server.adj, map=server._map)
        channel.accepted_round = server.round - 1
        for chunk in data:
            channel.received(chunk)
        return channel

    yield server, connect
    server.task_dispatcher.shutdown()
    for channel in list(server.active_channels.values()):
        channel.handle_close()
    server.close()
    for sock in sockets:
        sock.close()


def backdate(channel: TimedChannel, seconds: float, *fields: str) -> None:
    for name in fields or ("progress_at", "request_started", "body_started", "body_at"):
        if getattr(channel, name) is not None:
            setattr(channel, name, getattr(channel, name) - seconds)


HEAD = b"GET /soc/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
UPLOAD = (b"POST /soc/post HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n"
          b"Content-Type: application/x-www-form-urlencoded\r\n\r\nbody=")


def past_deadline(channel: TimedChannel) -> bool:
    return channel.assess(time.monotonic(), LIMITS)[0]


def test_deadlines_of_idle_and_slow_connections(guarded):
    _, connect = guarded
    idle, head, body = connect(), connect(HEAD), connect(UPLOAD)
    assert not any(map(past_deadline, (idle, head, body)))
    backdate(idle, LIMITS.idle_timeout - 1)
    backdate(head, LIMITS.header_timeout - 1)
    backdate(body, LIMITS.body_grace - 1)
    assert not any(map(past_deadline, (idle, head, body)))
    backdate(idle, 2)
    backdate(head, 2)
    assert past_deadline(idle) and past_deadline(head)
    backdate(body, 2)  # 11 s into the body with 5 bytes: below 1 KB/s after the grace
    assert past_deadline(body)


def test_a_body_arriving_steadily_meets_its_deadlines_until_it_stalls(guarded):
    _, connect = guarded
    body = connect(UPLOAD, b"a" * 64 * 1024)
    backdate(body, LIMITS.body_grace + 30, "request_started", "body_started")
    assert not past_deadline(body), "64 KB in 40 s is above 1 KB/s after the grace"
    backdate(body, LIMITS.body_stall + 1, "body_at")
    assert past_deadline(body), "but no byte for longer than body_stall is not"


def test_eviction_takes_the_most_wasteful_and_spares_the_served_and_the_new(guarded):
    server, connect = guarded
    idle, head, upload, served = connect(), connect(HEAD), connect(UPLOAD), connect()
    backdate(idle, 5)
    backdate(head, 8)
    upload.received(b"a" * 400 * 1024)
    backdate(upload, 20)  # 400 KB in 20 s: ~20 KB/s, above good_body_rate
    backdate(served, 10)
    served.requests.append(object())  # a worker is serving it: never evicted
    assert server.live == 4
    newest = connect()
    newest.accepted_round = server.round  # accepted in this round: read before any eviction
    server.make_room()  # 5 > budget 4: one over, plus the slack of one
    assert server.doomed == [head, idle]
    assert not head.readable() and not idle.writable()
    served.requests.clear()
    server.housekeeping(time.monotonic())
    assert set(server.active_channels.values()) == {upload, served, newest}


@pytest.mark.parametrize(("head", "status"), [
    (b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "400"),
    (b"POST / HTTP/1.1\r\nTransfer-Encoding: deflate\r\n\r\n", "400"),
    (b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n", "400"),
    (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", None),
    (b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 40_000 + b"\r\n\r\n", "431"),
])
def test_request_heads_waitress_would_answer_with_5xx_are_client_errors(head, status):
    parser = StrictParser(Adjustments(**guard.MEMORY_BOUNDS))
    parser.received(head)
    error = parser.error.to_response()[0][:3] if parser.error else None
    assert error == status


def test_out_of_descriptors_evicts_and_pauses_accepting(guarded, monkeypatch):
    server, connect = guarded
    idle = connect()
    backdate(idle, 5)

    def fail() -> None:
        raise OSError(errno.EMFILE, "Too many open files")

    monkeypatch.setattr(server, "accept", fail)
    assert server.readable()
    server.handle_accept()  # below the budget, yet a connection makes room
    assert server.doomed == [idle] and not server.readable()


@pytest.mark.parametrize(("soft", "hard", "budget", "raised_to"), [
    (1024, 524288, 1000, 3256),  # systemd's default: raised, budget kept
    (1024, 1024, 256, None),  # cannot be raised: budget shrunk, with a warning
    (65536, 65536, 1000, None),  # enough already
])
def test_budget_fits_the_open_files_limit(monkeypatch, soft, hard, budget, raised_to):
    raised: list[tuple[int, int]] = []
    monkeypatch.setattr(guard.resource, "getrlimit", lambda _which: (soft, hard))
    monkeypatch.setattr(guard.resource, "setrlimit", lambda _which, limits: (
        raised.append(limits) if limits[0] <= hard else pytest.fail("above the hard limit")))
    limits, warning = guard.fit_budget(Limits())
    assert limits.budget == budget
    assert (warning is not None) == (budget < Limits().budget)
    if raised_to:
        assert raised == [(raised_to, hard)]
    if soft >= 3256:
        assert raised == []


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
