"""Starting a private tor owned by this process (it exits when we do)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import stem.process
import stem.version

from onion.control import check_version
from onion.errors import TorLaunchFailed, TorNotFound


@dataclass
class LaunchedTor:
    process: subprocess.Popen
    control_port: int

    def stop(self, grace: float = 10.0) -> None:
        """Stop tor by its PID: SIGTERM, then SIGKILL if it lingers."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def find_tor(tor_cmd: str) -> str:
    found = shutil.which(tor_cmd)
    if found is None:
        raise TorNotFound(tor_cmd)
    return found


def launch_tor(
    data_dir: Path,
    *,
    tor_cmd: str = "tor",
    extra_config: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> LaunchedTor:
    """Start tor with its DataDirectory in `data_dir` (0700), no SOCKS port, cookie auth.

    stem's own launch timeout uses SIGALRM, which only works in the main thread, so
    the launch runs in a helper thread without it and is bounded here instead.
    """
    executable = find_tor(tor_cmd)
    try:
        check_version(stem.version.get_system_tor_version(executable))
    except OSError as exc:
        raise TorLaunchFailed(f"`{executable} --version` failed ({exc})") from exc
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    data_dir.chmod(0o700)
    port_file, pid_file = data_dir / "control_port", data_dir / "tor.pid"
    port_file.unlink(missing_ok=True)
    config = {
        "DataDirectory": str(data_dir),
        "SocksPort": "0",
        "ControlPort": "127.0.0.1:auto",
        "ControlPortWriteToFile": str(port_file),
        "CookieAuthentication": "1",
        "PidFile": str(pid_file),
        "SafeLogging": "1",
        **(extra_config or {}),
    }
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["process"] = stem.process.launch_tor_with_config(
                config, tor_cmd=executable, completion_percent=0, timeout=None,
                take_ownership=True,
            )
        except OSError as exc:
            outcome["error"] = exc

    deadline = time.monotonic() + timeout
    starter = threading.Thread(target=run, name="onion-launch-tor", daemon=True)
    starter.start()
    starter.join(timeout)
    if starter.is_alive():
        _kill_from_pid_file(pid_file)
        raise TorLaunchFailed(f"tor did not start within {timeout:g} s")
    if "error" in outcome:
        raise TorLaunchFailed(str(outcome["error"]))
    tor = LaunchedTor(outcome["process"], 0)  # type: ignore[arg-type]
    try:
        tor.control_port = _wait_for_port_file(port_file, tor.process, deadline)
    except BaseException:
        tor.stop()
        raise
    return tor


def _wait_for_port_file(port_file: Path, process: subprocess.Popen, deadline: float) -> int:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise TorLaunchFailed(f"tor exited with status {process.returncode}")
        with contextlib.suppress(OSError):
            text = port_file.read_text(encoding="ascii")
            for line in text.splitlines():
                if line.startswith("PORT="):
                    return int(line.rpartition(":")[2])
        time.sleep(0.05)
    raise TorLaunchFailed("tor did not open its control port in time")


def _kill_from_pid_file(pid_file: Path) -> None:
    with contextlib.suppress(OSError, ValueError):
        os.kill(int(pid_file.read_text().strip()), signal.SIGKILL)
