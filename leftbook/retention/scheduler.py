"""`leftbook serve` prunes by itself: a background thread runs one pass every interval."""

import logging
import threading
from collections.abc import Callable

from leftbook.boards import Board
from leftbook.database import database
from leftbook.media.store import FileStore
from leftbook.retention.prune import PruneStopped, prune

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
            except PruneStopped:
                return
            except Exception as exc:  # a failed pass must not end the schedule
                log.error("prune pass failed (%s); the next pass retries", type(exc).__name__)
            self._stop.wait(self._interval)


def prune_schedule(boards: dict[str, Board], store: FileStore,
                   interval: float) -> PruneScheduler:
    """The background prune schedule of a site, made but not started (`.start()` it)."""

    def run_pass(stop: threading.Event) -> dict[str, int]:
        with database.connection_context():
            return prune(boards, store, stop=stop)

    return PruneScheduler(run_pass, interval)
