"""The one source of time, so tests can move it (monkeypatch `leftbook.clock.now`)."""

import time


def now() -> int:
    """Current time in whole Unix seconds."""
    return int(time.time())
