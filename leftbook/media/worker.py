"""A media worker: the process that runs cleaning jobs for the server, one at a time.

Started by ``pool`` as a fresh interpreter. Before its first job it sets its own limits
(address space, no core dumps, few descriptors); before each job it gives itself a CPU
budget (RLIMIT_CPU: the kernel sends SIGXCPU, which ends the process, when a job
overruns). It answers each request frame with one frame: the result, a refusal, "costly"
(out of memory) or "failed" (an error no cleaner foresaw), and says when it retires: after
running out of memory, after many jobs, or when its memory has grown.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import warnings
from typing import Any, BinaryIO

from leftbook.media import protocol
from leftbook.media.cleaners import CLEANERS
from leftbook.refusal import Refusal

MAX_REQUEST = 256 << 20
OPEN_FILES = 64


def _cpu_used() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _memory() -> tuple[int, int]:
    """(peak address space, resident size) of this process, in bytes."""
    found = {}
    with open("/proc/self/status", "rb") as status:
        for line in status:
            name, _colon, value = line.partition(b":")
            if name in (b"VmPeak", b"VmRSS"):
                found[name] = int(value.split()[0]) * 1024
    return found[b"VmPeak"], found[b"VmRSS"]


def set_limits(config: dict[str, Any]) -> None:
    """The worker's lifelong limits; the CPU hard limit covers every job it may run."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (OPEN_FILES, OPEN_FILES))
    lifetime = int(_cpu_used()) + 1 + config["cpu"] * (config["jobs"] + 1)
    resource.setrlimit(resource.RLIMIT_CPU, (lifetime, lifetime))
    resource.setrlimit(resource.RLIMIT_AS, (config["memory"], config["memory"]))


def _budget(seconds: int) -> None:
    """Let the next job use `seconds` of CPU time more than the worker has used so far."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (min(hard, int(_cpu_used()) + 1 + seconds), hard))


def run_job(header: dict[str, Any], data: bytes) -> tuple[protocol.Frame, bool]:
    """The answer to one job, and whether the worker must retire after it."""
    try:
        cleaner = CLEANERS[header["kind"]]
        return protocol.result(cleaner.clean(data, cleaner.limits(**header["limits"]))), False
    except Refusal as refusal:
        return ({"status": "refused", "message": refusal.message, "code": refusal.status},
                []), False
    except MemoryError:
        return ({"status": "costly"}, []), True
    except Exception as exc:  # a file no cleaner foresaw: refuse it, keep the server safe
        return ({"status": "failed", "error": type(exc).__name__}, []), True


def main(config_json: str) -> None:
    """Serve jobs from stdin until the server closes it or the worker retires."""
    config = json.loads(config_json)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is for the server to handle
    warnings.simplefilter("ignore")
    requests = os.fdopen(os.dup(0), "rb")
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print from a library never lands in the protocol stream
    set_limits(config)
    _send(answers, {"status": "ready"}, [])
    for jobs in range(1, config["jobs"] + 1):
        job = protocol.read_frame(requests, MAX_REQUEST)
        if job is None:
            return
        header, blobs = job
        _budget(config["cpu"])
        (answer, results), retire = run_job(header, blobs[0] if blobs else b"")
        del job, blobs
        peak, resident = _memory()
        if peak > config["memory"] // 2:
            # A decoder that cannot allocate reports "broken data", as a truncated file
            # does: after reaching half the ceiling, a failure means the file is too costly.
            retire = True  # and a fresh worker starts from a low peak again
            if answer["status"] == "failed" or answer.get("code") == 400:
                answer, results = {"status": "costly"}, []
        retire = retire or jobs == config["jobs"] or resident > config["retire_rss"]
        _send(answers, {**answer, "retire": retire}, results)
        if retire:
            return


def _send(stream: BinaryIO, header: dict[str, Any], blobs: list[bytes]) -> None:
    try:
        stream.write(protocol.frame(header, blobs))
    except MemoryError:
        stream.write(protocol.frame({"status": "costly", "retire": True}))
    stream.flush()
