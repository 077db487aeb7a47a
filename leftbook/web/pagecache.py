"""Rendered pages and fragments in memory, keyed by a version read from the database.

A post made through any instance bumps its board's version, so a stale entry is never
served: the key simply changes. Entries of older versions of a board go as soon as a newer
one is stored (a deleted post's text does not linger in memory), and the rest fall out in
least-recently-used order once the cache holds more than its budget.
"""

import gzip
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

DEFAULT_BUDGET = 32 * 1024 * 1024  # characters of rendered HTML fragments kept per process
PAGE_BUDGET = 64 * 1024 * 1024  # bytes of whole pages (plain and gzipped) kept per process
GZIP_LEVEL = 9  # once per page and version: the smallest answer is worth the time


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


@dataclass(frozen=True)
class CachedPage:
    """One page as every reader gets it: its bytes, gzipped once, and their validator."""

    body: bytes
    gzipped: bytes
    etag: str
    seen: int  # when this version was first seen: the page's Last-Modified

    @classmethod
    def of(cls, html: str, etag: str, seen: int) -> "CachedPage":
        body = html.encode()
        return cls(body, gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0), etag, seen)

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped)


class PageCache:
    """Whole pages by key; each key belongs to a scope (a board, or None) at a version."""

    def __init__(self, budget: int = PAGE_BUDGET) -> None:
        self._entries: OrderedDict[Hashable, tuple[Hashable, int, CachedPage]] = OrderedDict()
        self._newest: dict[Hashable, int] = {}  # scope -> newest version stored
        self._rendering: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()
        self._budget = budget
        self._held = 0

    def get(self, key: Hashable) -> CachedPage | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[2]

    def get_or_render(self, key: Hashable, scope: Hashable, version: int,
                      render: Callable[[], CachedPage | None]) -> CachedPage | None:
        """The cached page, or `render()` stored (when not None). Requests for one key
        that arrive while it renders wait for that render instead of repeating it."""
        page = self.get(key)
        if page is not None:
            return page
        with self._lock:
            rendering = self._rendering.setdefault(key, threading.Lock())
        try:
            with rendering:
                page = self.get(key)
                if page is None:
                    page = render()
                    if page is not None:
                        self._put(key, scope, version, page)
        finally:
            with self._lock:
                self._rendering.pop(key, None)
        return page

    def _put(self, key: Hashable, scope: Hashable, version: int, page: CachedPage) -> None:
        with self._lock:
            if version < self._newest.get(scope, version):
                return  # rendered from an older version than one already stored
            if version > self._newest.get(scope, version):
                for old in [k for k, e in self._entries.items()
                            if e[0] == scope and e[1] < version]:
                    self._held -= self._entries.pop(old)[2].size
            self._newest[scope] = version
            if key not in self._entries:
                self._entries[key] = (scope, version, page)
                self._held += page.size
            while self._held > self._budget and self._entries:
                _key, (_scope, _version, old_page) = self._entries.popitem(last=False)
                self._held -= old_page.size


def etag_for(*parts: object) -> str:
    """A strong validator (unquoted) for everything that makes a response what it is."""
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:32]
