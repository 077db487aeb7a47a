"""Rendered page fragments in memory, keyed by a version read from the database.

A post made through any instance bumps its board's version, so a stale fragment is never
served: the key simply changes. Old entries fall out in least-recently-used order once the
cache holds more text than its budget (a 300-reply thread is about 270 KB).
"""

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

DEFAULT_BUDGET = 32 * 1024 * 1024  # characters of rendered HTML kept per process


class FragmentCache:
    def __init__(self, budget: int = DEFAULT_BUDGET) -> None:
        self._entries: OrderedDict[Hashable, str] = OrderedDict()
        self._lock = threading.Lock()
        self._budget = budget
        self._held = 0

    def get_or_render(self, key: Hashable, render: Callable[[], str]) -> str:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        value = render()
        with self._lock:
            if key not in self._entries:
                self._entries[key] = value
                self._held += len(value)
            while self._held > self._budget and self._entries:
                _key, old = self._entries.popitem(last=False)
                self._held -= len(old)
        return value


def etag_for(*parts: object) -> str:
    """A strong validator (unquoted) for everything that makes a response what it is."""
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:32]
