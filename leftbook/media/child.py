"""Running an external program (ffmpeg, ffprobe) from a media worker, bounded.

The program gets its own limits, set in the child between fork and exec: address space
(never more than the worker's own hard limit allows), CPU seconds, the size of any file it
writes, open files, no core dumps; it dies with the worker (PR_SET_PDEATHSIG), so a worker
the server kills for overrunning its deadline takes its program with it; and the worker
kills it at its own deadline. Its environment is empty but for PATH and the locale, its
working directory is the job's private temporary directory.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import resource
import signal
import subprocess
from dataclasses import dataclass

from leftbook.refusal import Refusal

PR_SET_PDEATHSIG = 1
OPEN_FILES = 32
MEMORY = 1 << 30  # address space of one ffmpeg: decoding 4K H.264 with 2 threads fits
ENVIRONMENT = {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"}
TOO_COSTLY = ("This file is too costly to process: it needs more time or memory than the "
              "site allows for one file. Try a smaller or shorter file.")
_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


@dataclass(frozen=True)
class ChildLimits:
    seconds: float  # wall clock
    cpu: int  # CPU seconds, all threads together
    output_bytes: int  # the largest file it may write
    memory: int = MEMORY


def _limit(limits: ChildLimits):
    memory = min(limits.memory, resource.getrlimit(resource.RLIMIT_AS)[1])

    def apply() -> None:  # runs in the child after fork: no locks, no allocation to speak of
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu, limits.cpu))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.output_bytes, limits.output_bytes))
        resource.setrlimit(resource.RLIMIT_NOFILE, (OPEN_FILES, OPEN_FILES))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def run(args: list[str], limits: ChildLimits, cwd: str) -> tuple[int, bytes, bytes]:
    """(exit status, stdout, stderr) of the program; a program that overruns its time or
    is ended by a limit is reported as a Refusal (422, too costly)."""
    try:
        done = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, cwd=cwd,
                              env=ENVIRONMENT, timeout=limits.seconds, close_fds=True,
                              preexec_fn=_limit(limits), check=False)
    except subprocess.TimeoutExpired as exc:
        raise Refusal(TOO_COSTLY, 422) from exc
    except FileNotFoundError as exc:
        raise Refusal(f"This site cannot process video or audio: {args[0]} is not installed "
                      "on the server (the operator's `bash scripts/run serve` installs it).",
                      422) from exc
    if done.returncode in (-signal.SIGXCPU, -signal.SIGKILL, -signal.SIGXFSZ):
        raise Refusal(TOO_COSTLY, 422)
    return done.returncode, done.stdout, done.stderr
