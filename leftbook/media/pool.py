"""A small pool of worker processes that does all decoding and re-encoding of uploads.

A worker is a fresh interpreter started with ``subprocess`` (a spawn: never a fork of the
threaded server), with a minimal environment, no inherited descriptors, one thread for
the numeric libraries, and its own limits (see ``worker``: address space, CPU time per
job). The server adds a wall-clock deadline per job and kills and replaces a worker that
overruns, dies or answers nonsense; the job is refused with a 4xx and the pool goes on.

At most ``workers + queue`` jobs are admitted at once; beyond that an upload is refused at
once with a 503, so uploads never hold more than that many of the server's request
threads (8 by default), and reading pages and posting text go on. Workers start when the
first job needs them and stop at exit (``close``); one pool serves the whole process.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

from leftbook.media import protocol
from leftbook.media.cleaners import CLEANERS, Cleaner
from leftbook.media.process import WorkerLost, WorkerProcess
from leftbook.refusal import Refusal

log = logging.getLogger("leftbook")

BUSY = "The site is busy processing other files right now; please try again in a moment."
TOO_COSTLY = ("This file is too costly to process: it needs more time or memory than the "
              "site allows for one file. Try a smaller or simpler file.")
NOT_CLEANED = "This file could not be processed; try saving it again with another program."
MIN_REPLY = 64 << 20  # a worker's answer may be this large, or 4 times the upload
MAX_MESSAGE = 1000  # characters of a refusal a worker reports


@dataclass(frozen=True)
class PoolLimits:
    """Sized for a 2-core server with plenty of memory (measured figures in the report)."""

    workers: int = 2  # each worker uses at most one core
    queue: int = 2  # jobs waiting for a worker; admitted jobs hold request threads
    memory_bytes: int = 1 << 30  # RLIMIT_AS: ~115 MB of it is the interpreter and libraries
    cpu_seconds: int = 20  # RLIMIT_CPU per job
    wall_seconds: float = 40.0  # per job, enforced by the server; also the longest queue wait
    startup_seconds: float = 30.0
    jobs_per_worker: int = 200
    retire_rss: int = 256 << 20  # a worker whose memory grew past this is replaced
    retry_after: int = 10  # seconds a busy upload is asked to wait


class WorkerPool:
    """Runs ``clean(kind, data, limits)`` jobs in worker processes; thread-safe."""

    def __init__(self, limits: PoolLimits | None = None) -> None:
        self.limits = limits or PoolLimits()
        self._cond = threading.Condition()
        self._idle: list[WorkerProcess] = []
        self._live = 0  # workers running or starting, of this generation
        self._admitted = 0  # jobs running or waiting for a worker
        self._generation = 0  # bumped by close(): older workers stop when handed back
        self._pid = os.getpid()

    @property
    def admitted(self) -> int:
        """Jobs running or queued right now."""
        return self._admitted

    def clean(self, kind: str, data: bytes, limits: Any) -> Any:
        """Clean `data` as `kind` in a worker; raises Refusal (503 busy, 4xx refused)."""
        cleaner = CLEANERS[kind]
        self._admit()
        try:
            request = protocol.request(kind, limits, data)
            return self._run(kind, cleaner, request, max(MIN_REPLY, 4 * len(data)))
        finally:
            with self._cond:
                self._admitted -= 1
                self._cond.notify()

    def start(self) -> None:
        """Start every worker now, so the first uploads do not wait for one (a worker that
        cannot start is logged, and tried again when a job needs it)."""
        with self._cond:
            wanted = max(0, self.limits.workers - self._live)
            self._live += wanted
            generation = self._generation
        for _ in range(wanted):
            try:
                worker = self._spawn(generation)
            except Refusal:
                continue
            self._give_back(worker, healthy=True)

    def close(self) -> None:
        """Stop the workers (busy ones when their job ends); a later job starts new ones."""
        if os.getpid() != self._pid:
            return  # a forked copy: the workers belong to the parent
        with self._cond:
            idle, self._idle = self._idle, []
            self._generation += 1
            self._live = 0
            self._cond.notify_all()
        for worker in idle:
            worker.stop()

    def _admit(self) -> None:
        with self._cond:
            if self._admitted >= self.limits.workers + self.limits.queue:
                raise Refusal(BUSY, 503, retry_after=self.limits.retry_after)
            self._admitted += 1

    def _run(self, kind: str, cleaner: Cleaner, request: bytes, max_reply: int) -> Any:
        worker = self._take()
        healthy = False
        try:
            deadline = time.monotonic() + self.limits.wall_seconds
            header, blobs = worker.call(request, deadline, max_reply)
            worker.retiring = header.get("retire") is not False
            healthy = True  # a refusal it reports leaves it fit for the next job
            return _outcome(cleaner, header, blobs)
        except WorkerLost as lost:
            log.warning("A media worker was stopped during a job (%s): %s", kind, lost)
            raise Refusal(TOO_COSTLY, 422) from None
        except (protocol.ProtocolError, ValueError, TypeError) as exc:
            healthy = False
            log.warning("A media worker gave a bad answer to a job (%s): %s", kind, exc)
            raise Refusal(NOT_CLEANED, 422) from None
        finally:
            self._give_back(worker, healthy)

    def _take(self) -> WorkerProcess:
        deadline = time.monotonic() + self.limits.wall_seconds
        with self._cond:
            while not self._idle and self._live >= self.limits.workers:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise Refusal(BUSY, 503, retry_after=self.limits.retry_after)
                self._cond.wait(remaining)
            if self._idle:
                return self._idle.pop()
            self._live += 1
            generation = self._generation
        return self._spawn(generation)

    def _spawn(self, generation: int) -> WorkerProcess:
        limits = self.limits
        config = {"memory": limits.memory_bytes, "cpu": limits.cpu_seconds,
                  "jobs": limits.jobs_per_worker, "retire_rss": limits.retire_rss}
        try:
            return WorkerProcess(config, limits.startup_seconds, generation)
        except Exception as exc:  # whatever stops a start, the slot must be freed
            log.error("A media worker could not be started: %s", exc)
            with self._cond:
                if generation == self._generation:
                    self._live -= 1
                self._cond.notify()
            raise Refusal(BUSY, 503, retry_after=self.limits.retry_after) from None

    def _give_back(self, worker: WorkerProcess, healthy: bool) -> None:
        with self._cond:
            current = worker.generation == self._generation
            keep = healthy and current and not worker.retiring
            if keep:
                self._idle.append(worker)
            elif current:
                self._live -= 1
            self._cond.notify()
        if not keep:
            worker.stop()


def _outcome(cleaner: Cleaner, header: dict[str, Any], blobs: list[bytes]) -> Any:
    """A worker's answer as a result, or the Refusal it stands for."""
    status = header.get("status")
    if status == "ok":
        result = protocol.read_result(cleaner.result, header, blobs)
        return cleaner.verify(result) if cleaner.verify else result
    if status == "refused":
        message, code = header.get("message"), header.get("code")
        if not isinstance(message, str) or not message or len(message) > MAX_MESSAGE:
            raise protocol.ProtocolError("malformed refusal")
        raise Refusal(message, code if type(code) is int and 400 <= code < 500 else 422)
    if status == "costly":
        raise Refusal(TOO_COSTLY, 422)
    if status == "failed":
        log.warning("A media worker failed on a file: %s", header.get("error"))
        raise Refusal(NOT_CLEANED, 422)
    raise protocol.ProtocolError(f"unknown status {status!r}")


_shared: WorkerPool | None = None
_shared_lock = threading.Lock()


def shared_pool() -> WorkerPool:
    """The process's pool, made on first use (no worker starts until a job needs one) and
    closed at exit; every app in the process uses it unless given its own."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = WorkerPool()
            atexit.register(_shared.close)
        return _shared


def _forget_shared_pool() -> None:
    global _shared, _shared_lock
    _shared, _shared_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_shared_pool)
