"""Flood control without IP addresses: rate limits per site, board, thread and poster token.

Every counter is a `FloodEvent` row in the shared database, so several instances enforce
one set of limits. Posters are told apart only by a keyed hash of their poster-token
cookie; a post without a known token (no cookie, or a token not seen lately) falls into
one shared, strict "newcomer" bucket, so minting fresh tokens buys nothing. A solved
captcha (`vouched`) lifts the newcomer bucket but no other limit.
"""

import hashlib
import hmac
from dataclasses import dataclass

from leftbook import clock
from leftbook.abuse import floodcounts, lockdown
from leftbook.database import is_sqlite, write_transaction
from leftbook.database.models import FloodEvent, Setting
from leftbook.refusal import Refusal

MINUTE = 60
HOUR = 3600
POSTER_MEMORY = 30 * MINUTE  # how long a poster token counts as known
FLOOD_ALARM = 0.5  # share of a rate limit at which `auto` captcha switches on
FLOOD_CAPTCHA_SECONDS = 10 * MINUTE
PG_FLOOD_LOCK = 0x1EF7B00C  # advisory lock id serialising admissions on PostgreSQL


@dataclass(frozen=True)
class FloodLimits:
    site_per_minute: int = 60
    board_per_minute: int = 20
    thread_per_minute: int = 10
    threads_per_hour: int = 10
    newcomer_per_minute: int = 6
    reply_cooldown: int = 10
    thread_cooldown: int = 60
    duplicate_window: int = 10 * MINUTE
    refused_files_per_minute: int = 4  # per poster token: uploads refused for their file
    searches_per_minute: int = 120  # site-wide (a quarter of it under flood)
    searcher_per_minute: int = 12  # per poster token that posted lately
    search_newcomers_per_minute: int = 30  # shared by every other reader


@dataclass(frozen=True)
class Attempt:
    """One post about to be made, as flood control sees it (no request, no token)."""

    board: str
    thread_no: int | None
    poster: str | None  # keyed hash of the poster token from the cookie, or None
    body_digest: str | None
    vouched: bool = False



class SharedRateCrossed(Refusal):
    """A site or board rate was crossed: a sign of a flood on `scope` (a board or "site")."""

    def __init__(self, message: str, retry_after: int, scope: str) -> None:
        super().__init__(message, 429, retry_after=max(1, retry_after))
        self.scope = scope


def _keyed(secret: bytes, purpose: bytes, value: str) -> str:
    return hmac.new(secret, purpose + b"\0" + value.encode(), hashlib.sha256).hexdigest()[:40]


def poster_key(secret: bytes, token: str | None) -> str | None:
    """Keyed hash of a poster token: the token itself is never stored."""
    return _keyed(secret, b"leftbook flood poster", token) if token else None


def body_digest(secret: bytes, board: str, body: str) -> str | None:
    """Keyed hash of a cleaned body for duplicate checks (case and spacing folded)."""
    folded = " ".join(body.casefold().split())
    return _keyed(secret, b"leftbook flood body", f"{board}\0{folded}") if folded else None


def window_retry(kind: str, key: str | None, limit: int, window: int, now: int) -> int | None:
    """Seconds until a window count drops below `limit`, or None when it is below already."""
    since = now - window
    if floodcounts.count(kind, key, since) < limit:
        return None
    time = floodcounts.nth_newest_time(kind, key, since, limit)
    return (time if time is not None else now) + window - now


def last_post(poster: str, now: int) -> int | None:
    return floodcounts.last_time("poster", poster, now - POSTER_MEMORY)


def _rate_checks(attempt: Attempt, limits: FloodLimits, newcomer: bool):
    """(kind, key, limit, window, message, flood scope) for each rate that applies."""
    board = attempt.board
    checks = [
        ("post", None, limits.site_per_minute, MINUTE,
         "The whole site is taking too many posts right now.", "site"),
        ("post", f"board:{board}", limits.board_per_minute, MINUTE,
         f"/{board}/ is taking too many posts right now.", board),
    ]
    if attempt.thread_no is None:
        checks.append(("thread", board, limits.threads_per_hour, HOUR,
                       f"/{board}/ has had too many new threads this hour.", board))
    else:
        checks.append(("reply", f"{board}:{attempt.thread_no}", limits.thread_per_minute,
                       MINUTE, "This thread is taking too many replies right now.", board))
    if newcomer:
        checks.append(("newcomer", "site", limits.newcomer_per_minute, MINUTE,
                       "Too many posts from new visitors right now; solve the captcha "
                       "or wait.", "site"))
    return checks


def _is_newcomer(attempt: Attempt, now: int) -> bool:
    known = attempt.poster is not None and last_post(attempt.poster, now) is not None
    return not known and not attempt.vouched


def check(attempt: Attempt, limits: FloodLimits) -> None:
    """Refuse `attempt` if it would break a limit; reads only, changes nothing."""
    now = clock.now()
    if attempt.body_digest and floodcounts.digest_seen(
            "post", f"board:{attempt.board}", now - limits.duplicate_window,
            attempt.body_digest):
        raise Refusal("The same comment was posted here a moment ago; write something new.",
                      409, retry_after=limits.duplicate_window)
    if attempt.poster is not None:
        last = last_post(attempt.poster, now)
        wait = limits.thread_cooldown if attempt.thread_no is None else limits.reply_cooldown
        if last is not None and now - last < wait:
            raise Refusal(f"You are posting too fast: wait {last + wait - now} seconds.",
                          429, retry_after=last + wait - now)
        retry = window_retry("badfile", attempt.poster, limits.refused_files_per_minute,
                              MINUTE, now)
        if retry is not None:
            raise Refusal("Too many of your files were refused in the last minute: wait "
                          f"{retry} seconds.", 429, retry_after=retry)
    newcomer = _is_newcomer(attempt, now)
    for kind, key, limit, window, message, scope in _rate_checks(attempt, limits, newcomer):
        retry = window_retry(kind, key, limit, window, now)
        if retry is not None:
            raise SharedRateCrossed(f"{message} Try again in {retry} seconds.", retry, scope)


def serialise_admissions() -> None:
    """Make check-then-record atomic across connections (SQLite's IMMEDIATE lock does it)."""
    if not is_sqlite():
        FloodEvent._meta.database.execute_sql("SELECT pg_advisory_xact_lock(%s)",
                                              (PG_FLOOD_LOCK,))


def admit(attempt: Attempt, limits: FloodLimits) -> None:
    """Check and count one post; call inside the post's write transaction."""
    serialise_admissions()
    check(attempt, limits)
    now = clock.now()
    newcomer = _is_newcomer(attempt, now)
    rows = [("post", f"board:{attempt.board}", attempt.body_digest)]
    rows.append(("thread", attempt.board, None) if attempt.thread_no is None
                else ("reply", f"{attempt.board}:{attempt.thread_no}", None))
    if attempt.poster is not None:
        rows.append(("poster", attempt.poster, None))
    if newcomer:
        rows.append(("newcomer", "site", None))
    _record(rows, attempt, limits, newcomer, now)


def _record(rows: list[tuple[str, str, str | None]], attempt: Attempt, limits: FloodLimits,
            newcomer: bool, now: int) -> None:
    FloodEvent.insert_many([(k, key, d, now) for k, key, d in rows], fields=[
        FloodEvent.kind, FloodEvent.key, FloodEvent.digest, FloodEvent.time]).execute()
    for kind, key, limit, window, _message, scope in _rate_checks(attempt, limits, newcomer):
        if floodcounts.count(kind, key, now - window) >= limit * FLOOD_ALARM:
            mark_flood(scope)


def count_refused_file(attempt: Attempt, limits: FloodLimits) -> None:
    """Count a post refused for its file, in its own short transaction: decoding it cost
    the site work, so it counts against the site's and the board's post rates and the
    newcomer bucket like a post, and against the poster's refused-file rate. It leaves no
    body digest (the poster may send the same text with another file) and does not make
    the poster token known."""
    with write_transaction():
        now = clock.now()
        newcomer = _is_newcomer(attempt, now)
        rows: list[tuple[str, str, str | None]] = [("post", f"board:{attempt.board}", None)]
        if attempt.poster is not None:
            rows.append(("badfile", attempt.poster, None))
        if newcomer:
            rows.append(("newcomer", "site", None))
        _record(rows, attempt, limits, newcomer, now)


def _flood_key(scope: str) -> str:
    return "flood:site" if scope == "site" else f"flood:board:{scope}"


def mark_flood(scope: str) -> None:
    """Switch `auto` captcha on for `scope` ("site" or a board slug) for a while."""
    expires = clock.now() + FLOOD_CAPTCHA_SECONDS
    Setting.insert(key=_flood_key(scope), value="on", expires=expires).on_conflict(
        conflict_target=[Setting.key], update={Setting.expires: expires}).execute()


def screen(attempt: Attempt, limits: FloodLimits) -> None:
    """`check` before the post's transaction; a crossed shared rate is recorded (in its own
    transaction, as the post changes nothing) so that `auto` captcha switches on.

    A mark with more than half its time left is kept as it is, so a refused flood does not
    queue for the write lock on every request.
    """
    try:
        check(attempt, limits)
    except SharedRateCrossed as refusal:
        fresh_until = clock.now() + FLOOD_CAPTCHA_SECONDS // 2
        if not floodcounts.setting_lasts(_flood_key(refusal.scope), fresh_until):
            with write_transaction():
                mark_flood(refusal.scope)
        raise


def flood_keys(board: str) -> list[str]:
    """The settings that say flood control switched captcha on for `board`."""
    return [_flood_key("site"), _flood_key(board)]


def under_flood(board: str, found: dict[str, str] | None = None) -> bool:
    """True while flood control has switched captcha on for the site or this board
    (`found`: those settings when already read, with `flood_keys`)."""
    keys = flood_keys(board)
    found = lockdown.settings_in_force(keys) if found is None else found
    return any(key in found for key in keys)


def flood_alarms() -> dict[str, int]:
    """Where flood control has switched `auto` captcha on ("site" or a board slug), and
    until when (Unix seconds)."""
    rows = Setting.select(Setting.key, Setting.expires).where(
        Setting.key.startswith("flood:"), Setting.expires > clock.now())
    return {row.key.removeprefix("flood:").removeprefix("board:"): row.expires for row in rows}
