"""Rendered page fragments in memory, keyed by a version read from the database.

A post made through any instance bumps its board's version, so a stale fragment is never
served: the key simply changes. Old entries fall out in least-recently-used order.
"""

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable


class FragmentCache:
    def __init__(self, size: int = 512) -> None:
        self._entries: OrderedDict[Hashable, str] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def get_or_render(self, key: Hashable, render: Callable[[], str]) -> str:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        value = render()
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return value


def etag_for(*parts: object) -> str:
    """A strong validator for everything that makes a response what it is."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:32]
    return f'"{digest}"'
