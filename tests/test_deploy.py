"""The shipped systemd unit and the tor configuration that goes with it: hardening options
checked always, `systemd-analyze` when systemd is installed, (as root) the unit's user,
environment and tor configuration working together without systemd, and serve working with
writable executable memory refused (MemoryDenyWriteExecute)."""

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests
import stem.control
from PIL import Image

from leftbook.retention.scheduler import STOP_WAIT_SECONDS
from tests.helpers import CSRF_INPUT
from tests.serving import server_env, stop, wait_until_serving
from tests.torlab import TOR, free_port, wait_until

DEPLOY = Path(__file__).resolve().parent.parent / "docs" / "deploy"
UNIT = DEPLOY / "leftbook.service"
TORRC = DEPLOY / "torrc"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
MAX_EXPOSURE = 2.0  # systemd-analyze security: 0 is fully locked down, 10 not at all


def unit_options(path: Path = UNIT) -> dict[str, list[str]]:
    """`Section.Key` -> every value given (systemd allows a key more than once)."""
    options: dict[str, list[str]] = {}
    section = ""
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        options.setdefault(f"{section}.{key}", []).append(value)
    return options


def one(options: dict[str, list[str]], key: str) -> str:
    assert len(options.get(f"Service.{key}", [])) == 1, key
    return options[f"Service.{key}"][0]


def test_the_unit_runs_serve_as_its_own_user_with_the_data_dir_as_the_only_writable_path():
    service = unit_options()
    assert one(service, "User") == "leftbook" and one(service, "Group") == "leftbook"
    assert one(service, "ExecStart").split()[1:3] == ["serve", "--port"]
    environment = dict(v.split("=", 1) for v in service["Service.Environment"])
    assert environment["LEFTBOOK_DATA_DIR"] == "/var/lib/leftbook"
    assert one(service, "StateDirectory") == "leftbook"  # /var/lib/leftbook, made writable
    assert one(service, "StateDirectoryMode") == "0700" and one(service, "UMask") == "0077"
    assert one(service, "ProtectSystem") == "strict"
    assert "Service.ReadWritePaths" not in service and "Service.BindPaths" not in service
    for key in ("NoNewPrivileges", "PrivateTmp", "ProtectHome", "PrivateDevices",
                "RestrictSUIDSGID", "ProtectKernelTunables", "ProtectKernelModules",
                "ProtectControlGroups", "RestrictNamespaces", "LockPersonality"):
        assert one(service, key) == "yes", key
    assert one(service, "CapabilityBoundingSet") == ""


def test_the_unit_restricts_the_network_to_loopback_and_unix_sockets():
    service = unit_options()
    assert set(one(service, "RestrictAddressFamilies").split()) == {
        "AF_UNIX", "AF_INET", "AF_INET6"}
    assert one(service, "IPAddressDeny") == "any"
    assert one(service, "IPAddressAllow") == "localhost"


def test_the_unit_has_a_memory_ceiling_restarts_on_failure_and_stops_cleanly():
    service = unit_options()
    assert re.fullmatch(r"\d+[KMG]", one(service, "MemoryMax"))
    assert one(service, "Restart") == "on-failure"
    assert one(service, "KillSignal") == "SIGTERM" and one(service, "KillMode") == "mixed"
    assert int(one(service, "TimeoutStopSec")) > STOP_WAIT_SECONDS + 10


def test_the_unit_and_the_torrc_name_the_same_control_socket():
    service = unit_options()
    environment = dict(v.split("=", 1) for v in service["Service.Environment"])
    socket = environment["LEFTBOOK_TOR"].removeprefix("socket:")
    torrc = [line.split() for line in TORRC.read_text().splitlines()
             if line and not line.startswith("#")]
    assert ["ControlSocket", socket, "GroupWritable", "RelaxDirModeCheck"] in torrc
    assert ["CookieAuthFileGroupReadable", "1"] in torrc
    assert one(service, "SupplementaryGroups") == "debian-tor"
    assert not any(line[0].startswith("HiddenService") for line in torrc)


def runnable_unit(tmp_path: Path) -> Path:
    """The unit, with ExecStart pointing at this test run's leftbook (verify checks it)."""
    leftbook = Path(sys.executable).with_name("leftbook")
    if not leftbook.exists():
        pytest.skip(f"no {leftbook} to point ExecStart at")
    path = tmp_path / "leftbook.service"
    path.write_text(UNIT.read_text().replace("/opt/leftbook/bin/leftbook", str(leftbook)))
    return path


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd is not installed")
def test_systemd_analyze_verifies_the_unit_and_rates_it_well_hardened(tmp_path):
    unit = runnable_unit(tmp_path)
    verified = subprocess.run([SYSTEMD_ANALYZE, "verify", str(unit)], capture_output=True,
                              text=True, timeout=60)
    assert verified.returncode == 0, verified.stderr
    complaints = [line for line in verified.stderr.splitlines() if unit.name in line]
    assert complaints == [], "\n".join(complaints)
    rated = subprocess.run([SYSTEMD_ANALYZE, "security", "--offline=yes", str(unit)],
                           capture_output=True, text=True, timeout=60)
    if "--offline" in rated.stderr:
        pytest.skip("this systemd-analyze cannot rate a unit file offline")
    exposure = re.search(r"Overall exposure level for \S+: ([\d.]+)", rated.stdout)
    assert exposure, rated.stdout + rated.stderr
    assert float(exposure.group(1)) <= MAX_EXPOSURE, rated.stdout


TOR_USER = 65534  # nobody:nogroup plays debian-tor
SITE_USER = 65533  # plays leftbook, with tor's group as its supplementary group
MAIN = "import sys; from leftbook.cli import main; sys.exit(main())"


def as_user(uid: int, *groups: int) -> list[str]:
    supplementary = (f"--groups={','.join(map(str, groups))}" if groups
                     else "--clear-groups")
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", supplementary]


def key_in_use(socket: Path, key_file: Path) -> bool:
    """Whether tor already publishes the key (asked as root, which may read tor's cookie)."""
    blob = key_file.read_text().strip()
    with stem.control.Controller.from_socket_file(str(socket)) as controller:
        controller.authenticate()
        reply = controller.msg(f"ADD_ONION {blob} Flags=DiscardPK Port=80,127.0.0.1:9")
        if reply.is_ok():
            controller.msg(f"DEL_ONION {reply.content()[0][2].split('=')[1]}")
        return "collision" in str(reply).lower()


def stopped(process: subprocess.Popen) -> int:
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    try:
        return process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


@pytest.mark.slow
@pytest.mark.tor
@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                    reason="needs root and setpriv, to run tor and leftbook as two other users")
def test_the_site_user_publishes_through_tors_group_socket_and_withdraws_on_sigterm():
    with tempfile.TemporaryDirectory() as scratch:  # pytest's tmp_path is closed to others
        base = Path(scratch)
        base.chmod(0o755)
        run_dir, tor_dir, data = base / "run", base / "tor", base / "data"
        for directory, owner in ((run_dir, TOR_USER), (tor_dir, TOR_USER), (data, SITE_USER)):
            directory.mkdir(mode=0o700)
            os.chown(directory, owner, owner)
        run_dir.chmod(0o750)
        torrc = base / "torrc"
        torrc.write_text(TORRC.read_text().replace("/run/tor", str(run_dir)) + "\n".join([
            f"DataDirectory {tor_dir}", "DisableNetwork 1", "SocksPort 0",
            f"Log notice file {tor_dir / 'notice.log'}", ""]))
        socket = run_dir / "control"
        tor = subprocess.Popen([*as_user(TOR_USER), TOR, "-f", str(torrc), "--quiet"])
        serve = None
        try:
            wait_until(socket.exists, 20, "tor's control socket")
            if subprocess.run([*as_user(SITE_USER), sys.executable, "-c", "import leftbook"],
                              capture_output=True, timeout=60).returncode:
                pytest.skip("this Python cannot be run by another user")
            log = base / "serve.log"
            env = {**{k: v for k, v in os.environ.items() if not k.startswith("LEFTBOOK_")},
                   "LEFTBOOK_DATA_DIR": str(data), "LEFTBOOK_TOR": f"socket:{socket}",
                   "HOME": str(data), "PYTHONUNBUFFERED": "1"}
            with log.open("wb") as out:
                serve = subprocess.Popen(
                    [*as_user(SITE_USER, TOR_USER), sys.executable, "-c", MAIN, "serve",
                     "--port", str(free_port())], env=env, cwd=base, stdout=out,
                    stderr=subprocess.STDOUT)
            wait_until(lambda: "waiting for tor to publish" in log.read_text()
                       or serve.poll() is not None, 60, "serve to add its onion service")
            assert serve.poll() is None, log.read_text()
            assert key_in_use(socket, data / "onion_key"), "published through the socket"
            started = time.monotonic()
            assert stopped(serve) == 0, log.read_text()
            assert time.monotonic() - started < 30
            assert not key_in_use(socket, data / "onion_key"), "withdrawn on SIGTERM"
            assert "running as root" not in log.read_text()
            assert (data / "onion_key").stat().st_uid == SITE_USER
        finally:
            if serve is not None:
                stopped(serve)
            stopped(tor)


NO_WRITABLE_CODE = """if True:
    import ctypes, mmap, os, sys
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(65, 1, 0, 0, 0) != 0:  # PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN (Linux 6.3)
        sys.exit(77)
    try:
        mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        sys.exit(78)  # not enforced
    except OSError:
        pass
    os.execv(sys.executable, [sys.executable, "-c", sys.argv[1], *sys.argv[2:]])
"""


def test_serve_posts_pictures_without_writable_executable_memory(tmp_path):
    """MemoryDenyWriteExecute=yes in the unit: no library of the site needs memory that is
    both writable and executable (the kernel's own switch for it stands in for systemd's)."""
    port, log = free_port(), tmp_path / "serve.log"
    with log.open("wb") as out:
        serve = subprocess.Popen([sys.executable, "-c", NO_WRITABLE_CODE, MAIN, "serve",
                                  "--port", str(port), "--no-onion"],
                                 env=server_env(tmp_path / "data"), cwd=tmp_path, stdout=out,
                                 stderr=subprocess.STDOUT)
    try:
        with contextlib.suppress(subprocess.TimeoutExpired):
            code = serve.wait(2)
            if code in (77, 78):
                pytest.skip("this kernel cannot refuse writable executable memory")
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(f"{base}/", serve, log)
        session = requests.Session()
        token = CSRF_INPUT.search(session.get(f"{base}/soc/", timeout=10).text).group(1)
        picture = io.BytesIO()
        Image.new("RGB", (300, 200), (200, 30, 30)).save(picture, "JPEG")
        posted = session.post(f"{base}/soc/post", timeout=30, headers={
            "Accept": "application/json"}, files={
            "csrf_token": (None, token), "body": (None, "a picture"),
            "file": ("a.jpg", picture.getvalue(), "image/jpeg")})
        assert posted.status_code == 200, posted.text
        thread = posted.json()["thread"]
        assert session.get(f"{base}/soc/res/{thread}.html", timeout=10).status_code == 200
    finally:
        stop(serve)
