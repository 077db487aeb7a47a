"""`leftbook serve` prunes by itself: a background thread runs one pass every interval."""

import logging
import math
import threading
from collections.abc import Callable
from pathlib import Path

from flask import Flask

from leftbook import retention
from leftbook.config import ConfigError
from leftbook.db import database

log = logging.getLogger("leftbook.retention")

STOP_WAIT_SECONDS = 30


class PruneScheduler:
    """Runs `run_pass(stop_event)` at once, then every `interval` seconds, until `stop()`."""

    def __init__(self, run_pass: Callable[[threading.Event], object], interval: float) -> None:
        self._run_pass = run_pass
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="leftbook-prune", daemon=True)

    def start(self) -> "PruneScheduler":
        self._thread.start()
        return self

    def stop(self, timeout: float = STOP_WAIT_SECONDS) -> None:
        """Ask the pass to stop between two batches and wait for it (bounded)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._run_pass(self._stop)
            except retention.PruneStopped:
                return
            except Exception as exc:  # a failed pass must not end the schedule
                log.error("prune pass failed (%s); the next pass retries", type(exc).__name__)
            self._stop.wait(self._interval)


def prune_interval(value: object) -> float:
    """The interval in seconds from `LEFTBOOK_PRUNE_INTERVAL` (a positive number)."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = 0.0
    if not (math.isfinite(seconds) and seconds > 0):
        raise ConfigError(
            f"LEFTBOOK_PRUNE_INTERVAL must be a positive number of seconds, not {value!r}."
        )
    return seconds


def prune_schedule(app: Flask) -> PruneScheduler:
    """The background prune schedule for `app`, checked but not started (`.start()` it)."""
    interval = prune_interval(app.config.get("LEFTBOOK_PRUNE_INTERVAL", 300))
    boards = app.config["BOARDS"]
    files_dir = Path(app.config["FILES_DIR"])

    def run_pass(stop: threading.Event) -> dict[str, int]:
        with database.connection_context():
            return retention.prune(boards, files_dir, stop=stop)

    return PruneScheduler(run_pass, interval)
