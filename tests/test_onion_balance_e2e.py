"""One onion address in front of two instances, end to end on a private Tor network.

Two `leftbook serve` instances on one PostgreSQL database publish as Onionbalance backends
(each through its own tor), Debian's `onionbalance` publishes the frontend descriptor under the
master address, and a client tor reads a page and posts a reply through the master address;
both instances serve the reply. Clients reach both backends through the one address. Then
one backend stops and the master address still serves through the other.

What makes Onionbalance 0.2.2 converge on a private network (docs/scaling.md): authorities
voting every 20 s (what its `--is-testnet` mode assumes), at least five HSDirs in every
consensus it reads (seven relays, as one or two often lack a fresh microdescriptor), and its
fixed 45 s wait before the first descriptor it publishes.
"""

import base64
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from onion.keys import new_service_key, service_id
from tests.helpers import CSRF_INPUT, TEST_DATABASE_URL
from tests.serving import server_env, stop
from tests.torlab import (
    PrivateNetwork,
    free_port,
    rendezvous_circuits,
    wait_for_microdescriptors,
    wait_until,
)

ONIONBALANCE = shutil.which("onionbalance") or "/usr/sbin/onionbalance"

pytestmark = [
    pytest.mark.slow, pytest.mark.tor, pytest.mark.postgres,
    pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs LEFTBOOK_TEST_DATABASE_URL "
                       "(the PostgreSQL pass of `bash scripts/run test`)"),
    pytest.mark.skipif(not Path(ONIONBALANCE).exists(),
                       reason="needs Debian's onionbalance (apt-get install onionbalance)"),
]

RELAYS = 7  # Onionbalance 0.2.2 hangs computing HSDirs when it sees fewer than 5 (see above)
VOTING_INTERVAL = 20  # what onionbalance --is-testnet assumes
MAIN = "import sys; from leftbook.cli import main; sys.exit(main())"
BACKEND_LINE = re.compile(r"Onionbalance backend published: ([a-z2-7]{56}\.onion)")
TOR_KEY_HEADER = b"== ed25519v1-secret: type0 ==\x00\x00\x00"


def master_key(path: Path) -> str:
    """A new frontend key in tor's key-file format (which onionbalance reads); its address."""
    blob = new_service_key()
    path.write_bytes(TOR_KEY_HEADER + base64.b64decode(blob))
    path.chmod(0o600)
    return service_id(blob) + ".onion"


def tor_session(network: PrivateNetwork, isolation: str = "first") -> requests.Session:
    """A session through the client tor; another `isolation` means other circuits."""
    session = requests.Session()
    proxy = f"socks5h://{isolation}:x@127.0.0.1:{network.client.socks_port}"
    session.proxies = {"http": proxy, "https": proxy}
    return session


def get_through_tor(session: requests.Session, url: str, timeout: float) -> requests.Response:
    def attempt():
        response = session.get(url, timeout=15)
        return response if response.status_code == 200 else None
    return wait_until(attempt, timeout, f"GET {url} through tor", interval=1)


class Backends:
    """The two instances: their processes, ports, logs and tors."""

    def __init__(self, tors, base: Path) -> None:
        self.tors, self.base = tors, base
        self.processes: list[subprocess.Popen] = []
        self.ports: list[int] = []
        self.logs: list[Path] = []

    def start(self, data_dir: Path, master: str) -> list[str]:
        for index, tor in enumerate(self.tors):
            port, log = free_port(), self.base / f"serve{index}.log"
            env = self.env(data_dir, master, tor)
            with log.open("wb") as out:
                self.processes.append(subprocess.Popen(
                    [sys.executable, "-c", MAIN, "serve", "--port", str(port), "--onion"],
                    env=env, cwd=self.base, stdout=out, stderr=subprocess.STDOUT))
            self.ports.append(port)
            self.logs.append(log)
        return [wait_until(lambda log=log: self.published(log), 90,
                           f"{log.name}: the backend published").group(1)
                for log in self.logs]

    def published(self, log: Path):
        if any(p.poll() is not None for p in self.processes):
            raise AssertionError("an instance exited:\n" + "\n".join(
                f.read_text() for f in self.logs))
        return BACKEND_LINE.search(log.read_text())

    @staticmethod
    def env(data_dir: Path, master: str, tor) -> dict[str, str]:
        return server_env(data_dir, LEFTBOOK_DATABASE_URL=TEST_DATABASE_URL,
                          LEFTBOOK_TOR=f"control:127.0.0.1:{tor.control_port}",
                          LEFTBOOK_ONIONBALANCE_MASTER=master, LEFTBOOK_PRUNE_INTERVAL="3600")

    def served_by(self, request) -> set[int]:
        """Which instances a request through the master address from a new circuit reached:
        those whose tor made a new rendezvous circuit for it."""
        before = [rendezvous_circuits(tor) for tor in self.tors]
        response = request()
        assert response.status_code == 200, response
        return {index for index, (tor, seen) in enumerate(zip(self.tors, before, strict=True))
                if rendezvous_circuits(tor) - seen}

    def stop(self) -> None:
        for process in self.processes:
            stop(process)


def start_onionbalance(base: Path, key: Path, backends: list[str], control_port: int):
    config = base / "onionbalance" / "config.yaml"
    config.parent.mkdir(mode=0o700)
    config.write_text(f"services:\n- key: {key}\n  instances:\n" + "".join(
        f"  - address: {address}\n    name: backend{n}\n" for n, address in enumerate(backends)))
    log = base / "onionbalance.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [ONIONBALANCE, "--is-testnet", "-v", "info", "-c", str(config),
             "-i", "127.0.0.1", "-p", str(control_port), "-s", str(base / "no-socket")],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return process, log


def status_json(env: dict[str, str], cwd: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", MAIN, "status", "--json"], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_one_onion_address_served_by_two_instances_through_onionbalance(app, tmp_path):
    data_dir = app.config["SETTINGS"].data_dir  # `app` made the schema and the secrets
    started, timings = time.monotonic(), {}

    def mark(what: str) -> None:
        timings[what] = round(time.monotonic() - started, 1)

    network = PrivateNetwork(tmp_path / "net", voting_interval=VOTING_INTERVAL)
    backends = Backends([], tmp_path)
    balancer = None
    try:
        network.start(size=RELAYS, timeout=120)
        backends.tors = [network.service, network.add_tor("service2")]
        frontend = network.add_tor("frontend")
        wait_for_microdescriptors(frontend, RELAYS)
        mark("network")
        master = master_key(tmp_path / "master.key")
        addresses = backends.start(data_dir, master)
        mark("backends published")
        onion = status_json(Backends.env(data_dir, master, backends.tors[0]), tmp_path)["onion"]
        assert onion["address"] == master and onion["published"] is True
        assert sorted(onion["backends"].values()) == sorted(addresses)
        assert onion["backends_published"] == {str(backends.ports[0]): True,
                                               str(backends.ports[1]): False}

        balancer, balancer_log = start_onionbalance(tmp_path, tmp_path / "master.key",
                                                    addresses, frontend.control_port)
        try:
            home = get_through_tor(tor_session(network), f"http://{master}/", 240)
        except AssertionError as exc:
            tail = balancer_log.read_text().splitlines()[-15:]
            raise AssertionError(f"{exc}; onionbalance's log ends:\n" + "\n".join(tail)) from exc
        mark("first page through the master address")
        assert 'href="/soc/"' in home.text
        assert re.search(r"We got \d+ intros from 2 instances", balancer_log.read_text())

        local = f"http://127.0.0.1:{backends.ports[0]}"
        opener = requests.Session()
        token = CSRF_INPUT.search(opener.get(f"{local}/soc/", timeout=10).text).group(1)
        thread = opener.post(f"{local}/soc/post", timeout=30,
                             files={"csrf_token": (None, token), "body": (None, "opening")},
                             headers={"Accept": "application/json"}).json()["thread"]
        session = tor_session(network)
        page = session.get(f"http://{master}/soc/res/{thread}.html", timeout=30)
        reply = session.post(f"http://{master}/soc/post", timeout=30, allow_redirects=False,
                             data={"thread": thread, "body": "a reply through one address",
                                   "csrf_token": CSRF_INPUT.search(page.text).group(1)})
        assert reply.status_code == 303, reply.text
        number = reply.headers["Location"].rpartition("#p")[2]
        for port in backends.ports:
            shown = requests.get(f"http://127.0.0.1:{port}/soc/res/{thread}.html",
                                 headers={"Host": master}, timeout=10).text
            assert f'id="p{number}"' in shown and "a reply through one address" in shown
        mark("reply posted through the master address, served by both")

        reached, attempt = set(), 0
        while reached != {0, 1}:
            attempt += 1
            assert attempt <= 60, f"only instance {reached} reached through {master}"
            client = tor_session(network, f"visitor{attempt}")
            reached |= backends.served_by(
                lambda c=client: get_through_tor(c, f"http://{master}/soc/", 60))
            if attempt % 6 == 0:  # let the client fetch the frontend descriptor again
                with network.client.controller() as controller:
                    controller.signal("NEWNYM")
        mark(f"both instances reached through the master address ({attempt} visitors)")

        stop(backends.processes[0])
        assert backends.processes[0].returncode == 0, backends.logs[0].read_text()
        mark("one instance stopped")
        survivor, pages = tor_session(network, "after-the-stop"), []
        assert backends.served_by(lambda: pages.append(get_through_tor(
            survivor, f"http://{master}/soc/res/{thread}.html", 180)) or pages[0]) == {1}
        assert "a reply through one address" in pages[0].text
        mark("served through the other instance after one stopped")
    finally:
        backends.stop()
        if balancer is not None:
            stop(balancer)
        network.stop()
    print("onionbalance end to end, seconds since start:", timings)
