"""The counting queries of flood control, through SQL made once (`run_compiled`): every
post asks several, and under a flood every refused one does too, so they must cost little
next to the pages readers are waiting for."""

from peewee import fn

from leftbook.database import run_compiled
from leftbook.database.models import FloodEvent, Setting


def _events(kind: str, since: int, key: str | None, *columns):
    query = FloodEvent.select(*columns).where(FloodEvent.kind == kind, FloodEvent.time > since)
    return query if key is None else query.where(FloodEvent.key == key)


def _scope(key: str | None) -> tuple[str, tuple]:
    return ("all", ()) if key is None else ("key", (key,))


def count(kind: str, key: str | None, since: int) -> int:
    """Events of `kind` (and `key`, unless None) after `since`."""
    scope, extra = _scope(key)
    return run_compiled(f"flood_count_{scope}", lambda k, s, *e: _events(
        k, s, e[0] if e else None, fn.COUNT(FloodEvent.id)), kind, since, *extra).fetchone()[0]


def nth_newest_time(kind: str, key: str | None, since: int, n: int) -> int | None:
    """The time of the `n`th newest such event (1 is the newest), or None."""
    scope, extra = _scope(key)
    row = run_compiled(f"flood_nth_{scope}", lambda k, s, *e: _events(
        k, s, e[0] if len(e) > 2 else None, FloodEvent.time).order_by(
        FloodEvent.time.desc()).limit(e[-2]).offset(e[-1]),
        kind, since, *extra, 1, n - 1).fetchone()
    return row[0] if row else None


def last_time(kind: str, key: str, since: int) -> int | None:
    row = run_compiled("flood_last", lambda k, s, e: _events(
        k, s, e, fn.MAX(FloodEvent.time)), kind, since, key).fetchone()
    return row[0] if row else None


def digest_seen(kind: str, key: str, since: int, digest: str) -> bool:
    return run_compiled("flood_digest", lambda k, s, e, d, n: _events(
        k, s, e, FloodEvent.id).where(FloodEvent.digest == d).limit(n),
        kind, since, key, digest, 1).fetchone() is not None


def setting_lasts(key: str, until: int) -> bool:
    """Whether setting `key` is set to expire after `until`."""
    return run_compiled("setting_lasts", lambda k, u, n: Setting.select(Setting.key).where(
        Setting.key == k, Setting.expires > u).limit(n), key, until, 1).fetchone() is not None
