"""Real tor processes for tests: an offline tor, and a private Tor network on 127.0.0.1."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import stem.control

TOR = shutil.which("tor") or "/usr/sbin/tor"
TOR_GENCERT = shutil.which("tor-gencert") or "/usr/bin/tor-gencert"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check, timeout: float, what: str, interval: float = 0.1):
    """Call `check` until it returns something true; fail the test after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            result = check()
            if result:
                return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def hash_password(password: str) -> str:
    out = subprocess.run([TOR, "--quiet", "--hash-password", password], check=True,
                         capture_output=True, text=True, timeout=30).stdout
    return [line for line in out.split() if line.startswith("16:")][-1]


@dataclass
class TorProcess:
    """One tor started by a test; stop it by PID."""

    process: subprocess.Popen
    data_dir: Path
    control_port: int = 0
    socks_port: int = 0

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def controller(self, password: str | None = None) -> stem.control.Controller:
        controller = stem.control.Controller.from_port("127.0.0.1", self.control_port)
        controller.authenticate(password=password)
        return controller


def service_options(tor: TorProcess) -> list[str]:
    """tor's HiddenService* configuration lines, asked on a connection of our own."""
    with tor.controller() as other:
        reply = other.msg("GETCONF HiddenServiceOptions").content()
    return [line for *_, line in reply if "=" in line]


def start_tor(data_dir: Path, options: dict[str, str | list[str]], *,
              control_port: int = 0, socks_port: int = 0) -> TorProcess:
    """Write a torrc in `data_dir` (made 0700), start tor, wait for its control port."""
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o700)
    lines = [f"DataDirectory {data_dir}", f"Log notice file {data_dir / 'notice.log'}",
             f"SocksPort {socks_port or 0}"]
    if control_port:
        lines.append(f"ControlPort 127.0.0.1:{control_port}")
    for key, value in options.items():
        lines += [f"{key} {item}" for item in (value if isinstance(value, list) else [value])]
    torrc = data_dir / "torrc"
    torrc.write_text("\n".join(lines) + "\n")
    process = subprocess.Popen([TOR, "-f", str(torrc), "--quiet"], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tor = TorProcess(process, data_dir, control_port, socks_port)
    if control_port:
        try:
            wait_until(lambda: process.poll() is not None or _accepts(control_port), 20,
                       f"tor's control port {control_port}")
            if process.poll() is not None:
                raise AssertionError(f"tor exited: {_log_tail(data_dir)}")
        except BaseException:
            tor.stop()
            raise
    return tor


def offline_tor(data_dir: Path, *, control_port: int = 0,
                password: str | None = None) -> TorProcess:
    """A tor with DisableNetwork 1: ADD_ONION works, nothing leaves the machine."""
    auth = ({"HashedControlPassword": hash_password(password)} if password
            else {"CookieAuthentication": "1"})
    return start_tor(data_dir, {"DisableNetwork": "1", **auth},
                     control_port=control_port or free_port())


def _accepts(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
        return True
    return False


def _log_tail(data_dir: Path) -> str:
    with contextlib.suppress(OSError):
        return " | ".join((data_dir / "notice.log").read_text().splitlines()[-5:])
    return "(no log)"


def fast_voting(interval: int) -> dict[str, str]:
    """Authorities voting every `interval` seconds (a live network: every hour)."""
    return {
        "V3AuthVotingInterval": str(interval), "V3AuthVoteDelay": "2",
        "V3AuthDistDelay": "2", "TestingV3AuthInitialVotingInterval": str(interval),
        "TestingV3AuthInitialVoteDelay": "2", "TestingV3AuthInitialDistDelay": "2",
        "TestingV3AuthVotingStartOffset": "0",
    }


@dataclass
class PrivateNetwork:
    """Directory authorities that are also the relays (`start(size=4)`), a service tor, a
    client tor, and more tors on demand (`add_tor`).

    `voting_interval`: seconds between consensuses. 10 is the fastest to start; Onionbalance's
    test-network mode (`--is-testnet`) assumes 20, as chutney networks vote (docs/scaling.md).
    """

    base: Path
    voting_interval: int = 10
    authorities: list[TorProcess] = field(default_factory=list)
    dir_ports: list[int] = field(default_factory=list)
    dir_authority_lines: list[str] = field(default_factory=list)
    service: TorProcess | None = None
    client: TorProcess | None = None
    others: list[TorProcess] = field(default_factory=list)

    def processes(self) -> list[TorProcess]:
        return [*self.authorities, *(tor for tor in (self.service, self.client) if tor),
                *self.others]

    def add_tor(self, name: str, *, socks: bool = False) -> TorProcess:
        """One more tor on the network with a control port (and a SOCKS port if asked);
        stopped with the network."""
        tor = start_tor(self.base / name, self._common(), control_port=free_port(),
                        socks_port=free_port() if socks else 0)
        self.others.append(tor)
        return tor

    def stop(self) -> None:
        for tor in self.processes():
            tor.stop()

    def start(self, size: int = 4, timeout: float = 60) -> None:
        """Start everything; return once the client has a consensus and circuits."""
        nodes = []
        for index in range(size):
            data_dir = self.base / f"auth{index}"
            or_port, dir_port = free_port(), free_port()
            v3ident, fingerprint = _make_authority_keys(data_dir, dir_port)
            self.dir_authority_lines.append(
                f"auth{index} orport={or_port} no-v2 v3ident={v3ident} "
                f"127.0.0.1:{dir_port} {fingerprint}")
            nodes.append((data_dir, or_port, dir_port))
        for index, (data_dir, or_port, dir_port) in enumerate(nodes):
            self.authorities.append(start_tor(data_dir, {
                **self._common(), **fast_voting(self.voting_interval), "Nickname": f"auth{index}",
                "Address": "127.0.0.1", "ORPort": f"127.0.0.1:{or_port}",
                "DirPort": f"127.0.0.1:{dir_port}", "AssumeReachable": "1",
                "AuthoritativeDirectory": "1", "V3AuthoritativeDirectory": "1",
                "ContactInfo": f"auth{index}@test.invalid", "ExitPolicy": "reject *:*",
                "TestingDirAuthVoteHSDir": "*", "TestingDirAuthVoteGuard": "*",
            }))
            self.dir_ports.append(dir_port)
        wait_until(lambda: self._relays_in_consensus() >= size, timeout,
                   f"a consensus listing {size} relays", interval=0.5)
        self.service = start_tor(self.base / "service", self._common(),
                                 control_port=free_port())
        self.client = start_tor(self.base / "client", self._common(),
                                control_port=free_port(), socks_port=free_port())
        with self.client.controller() as controller:
            wait_until(lambda: "PROGRESS=100" in controller.get_info("status/bootstrap-phase"),
                       timeout, "the client tor to bootstrap", interval=0.25)

    def _common(self) -> dict[str, str | list[str]]:
        return {"TestingTorNetwork": "1", "DirAuthority": self.dir_authority_lines,
                "CookieAuthentication": "1", "SafeLogging": "1"}

    def _relays_in_consensus(self) -> int:
        url = f"http://127.0.0.1:{self.dir_ports[0]}/tor/status-vote/current/consensus-microdesc"
        with urllib.request.urlopen(url, timeout=2) as response:
            text = response.read().decode()
        return sum(1 for line in text.splitlines() if line.startswith("r "))


def _make_authority_keys(data_dir: Path, dir_port: int) -> tuple[str, str]:
    """tor-gencert makes the v3 authority keys; --list-fingerprint makes the relay key."""
    keys = data_dir / "keys"
    keys.mkdir(parents=True)
    data_dir.chmod(0o700)
    subprocess.run(
        [TOR_GENCERT, "--create-identity-key", "--passphrase-fd", "0", "-m", "12",
         "-a", f"127.0.0.1:{dir_port}", "-i", str(keys / "authority_identity_key"),
         "-s", str(keys / "authority_signing_key"), "-c", str(keys / "authority_certificate")],
        input="\n", check=True, capture_output=True, text=True, timeout=30)
    v3ident = next(line.split()[1] for line in (keys / "authority_certificate").read_text()
                   .splitlines() if line.startswith("fingerprint "))
    listed = subprocess.run(
        [TOR, "--quiet", "--ignore-missing-torrc", "--list-fingerprint", "--orport", "1",
         "--datadirectory", str(data_dir)],
        check=True, capture_output=True, text=True, timeout=30).stdout
    fingerprint = "".join(listed.strip().splitlines()[-1].split()[1:])
    return v3ident, fingerprint


def wait_for_microdescriptors(tor: TorProcess, count: int, timeout: float = 60) -> None:
    """Until `tor` has bootstrapped and holds the microdescriptors of `count` relays (what
    Onionbalance builds its hash ring of HSDirs from)."""
    with tor.controller() as controller:
        wait_until(lambda: "PROGRESS=100" in controller.get_info("status/bootstrap-phase"),
                   timeout, f"{tor.data_dir.name} to bootstrap", interval=0.25)
        wait_until(lambda: len(list(controller.get_microdescriptors())) >= count, timeout,
                   f"{tor.data_dir.name} to hold {count} microdescriptors", interval=0.5)


def rendezvous_circuits(tor: TorProcess) -> set[str]:
    """Ids of the circuits on which a service tor meets clients (one per client connection)."""
    with tor.controller() as controller:
        lines = controller.get_info("circuit-status").splitlines()
    return {line.split()[0] for line in lines if "PURPOSE=HS_SERVICE_REND" in line}
