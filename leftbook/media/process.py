"""One media worker process as the server sees it: start it, send it a job, read its
answer before a deadline, stop it or kill it."""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from leftbook.media import protocol

PACKAGE_DIR = Path(__file__).resolve().parent.parent
# The worker imports `leftbook.media` without running `leftbook/__init__.py` (which pulls
# in Flask, the database and the web layer: 30 MB a worker for nothing). `-I` keeps the
# environment's PYTHON* variables, the user's site-packages and the working dir out.
BOOT = (
    "import sys, types\n"
    "package = types.ModuleType('leftbook')\n"
    "package.__path__ = [sys.argv[1]]\n"
    "sys.modules['leftbook'] = package\n"
    "from leftbook.media.worker import main\n"
    "main(sys.argv[2])\n"
)
# Nothing of the server's environment; one thread for BLAS, two malloc arenas (each arena
# reserves address space, which RLIMIT_AS counts).
WORKER_ENVIRONMENT = {
    "PATH": "/usr/bin:/bin",
    "LC_ALL": "C.UTF-8",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "MALLOC_ARENA_MAX": "2",
}
CHUNK = 1 << 16
# Where a worker writes the files ffmpeg reads and writes (the upload as sent, metadata and
# all): memory, when the system has a tmpfs there, so that nothing of it reaches a disk.
SCRATCH_PARENTS = ("/dev/shm", None)  # noqa: S108  (mkdtemp: a 0700 directory, random name)
SCRATCH_PREFIX = "leftbook-media-"


def _scratch_dir() -> str:
    """A private directory for one worker's temporary files; removed by the server when the
    worker ends, however it ends (a killed worker cannot clean up after itself)."""
    for parent in SCRATCH_PARENTS:
        if parent is None or os.access(parent, os.W_OK | os.X_OK):
            with contextlib.suppress(OSError):
                return tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=parent)
    return tempfile.mkdtemp(prefix=SCRATCH_PREFIX)


class WorkerLost(Exception):
    """The worker overran its deadline, died or broke the protocol; it has been killed."""


class WorkerProcess:
    """A started worker, ready for jobs; `call` sends one and waits for its answer."""

    def __init__(self, config: dict[str, Any], startup_seconds: float, generation: int) -> None:
        self.generation = generation
        self.retiring = False
        self.scratch = _scratch_dir()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-I", "-c", BOOT, str(PACKAGE_DIR), json.dumps(config)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd="/", close_fds=True,
                env={**WORKER_ENVIRONMENT, "TMPDIR": self.scratch},
            )
        except BaseException:
            shutil.rmtree(self.scratch, ignore_errors=True)
            raise
        os.set_blocking(self._stdin.fileno(), False)
        header, _blobs = self.call(b"", time.monotonic() + startup_seconds, 1 << 16)
        if header.get("status") != "ready":
            self.kill()
            raise WorkerLost("it did not start")

    @property
    def _stdin(self) -> Any:
        return self.process.stdin

    @property
    def _stdout(self) -> Any:
        return self.process.stdout

    def call(self, request: bytes, deadline: float, max_reply: int) -> protocol.Frame:
        """Send `request` and read one frame back before `deadline` (time.monotonic);
        on any failure the worker is killed and WorkerLost says why."""
        try:
            return self._exchange(memoryview(request), deadline, max_reply)
        except WorkerLost:
            self.kill()
            raise
        except (OSError, protocol.ProtocolError) as exc:
            reason = self._ended()
            self.kill()
            raise WorkerLost(f"{reason} ({exc})") from None

    def _exchange(self, request: memoryview, deadline: float, max_reply: int) -> protocol.Frame:
        reader = protocol.FrameReader(max_reply)
        with selectors.DefaultSelector() as selector:
            if request:
                selector.register(self._stdin, selectors.EVENT_WRITE)
            selector.register(self._stdout, selectors.EVENT_READ)
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise WorkerLost("it ran past its wall-clock deadline")
                for key, _events in selector.select(remaining):
                    if key.fileobj is self._stdin:
                        request = request[os.write(self._stdin.fileno(), request[:CHUNK]):]
                        if not request:
                            selector.unregister(self._stdin)
                        continue
                    chunk = os.read(self._stdout.fileno(), CHUNK)
                    if not chunk:
                        raise WorkerLost(self._ended())
                    answer = reader.feed(chunk)
                    if answer is not None:
                        return answer

    def _ended(self) -> str:
        try:
            code = self.process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            return "it stopped answering"
        if code < 0:
            with contextlib.suppress(ValueError):
                return f"it was ended by {signal.Signals(-code).name}"
        return f"it exited with status {code}"

    def stop(self) -> None:
        """Let an idle worker exit (end of its input), killing it if it does not."""
        with contextlib.suppress(OSError):
            self._stdin.close()
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.kill()
        self._close_pipes()

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.process.kill()
        self.process.wait()
        self._close_pipes()

    def _close_pipes(self) -> None:
        for pipe in (self._stdin, self._stdout):
            with contextlib.suppress(OSError):
                pipe.close()
        shutil.rmtree(self.scratch, ignore_errors=True)
