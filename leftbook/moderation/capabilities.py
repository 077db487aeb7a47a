"""Janitor capabilities: signed links granted by the operator, revocable in the database."""

from dataclasses import dataclass, replace
from pathlib import Path

from leftbook import clock, datadir, signing
from leftbook.database import write_transaction
from leftbook.database.models import Capability
from leftbook.refusal import Refusal

POWERS = ("delete", "ban-file", "lock", "sticky")
POWER_LETTERS = {"delete": "d", "ban-file": "f", "lock": "l", "sticky": "s"}
ALL_BOARDS = "*"
SESSION_SECONDS = 12 * 3600  # a janitor session ends within a working day; the link stays


@dataclass(frozen=True)
class Grant:
    id: int
    boards: frozenset[str] | None  # None: every board
    powers: frozenset[str]
    expires: int

    def covers(self, board: str) -> bool:
        return self.boards is None or board in self.boards

    def can(self, power: str, board: str) -> bool:
        return power in self.powers and self.covers(board)


def _encode(grant: Grant) -> list:
    boards = ALL_BOARDS if grant.boards is None else ",".join(sorted(grant.boards))
    letters = "".join(POWER_LETTERS[p] for p in POWERS if p in grant.powers)
    return [grant.id, boards, letters, grant.expires]


def _decode(payload: object) -> Grant:
    if not (isinstance(payload, list) and len(payload) == 4):
        raise Refusal("This janitor link is malformed.", 403)
    cap_id, boards, letters, expires = payload
    powers = frozenset(p for p, letter in POWER_LETTERS.items() if letter in str(letters))
    scope = None if boards == ALL_BOARDS else frozenset(str(boards).split(","))
    return Grant(int(cap_id), scope, powers, int(expires))


def grant(boards: list[str] | None, powers: list[str], days: int, note: str | None,
          key: bytes) -> tuple[Grant, str]:
    """Record a capability and return it with its signed token (the link's last part)."""
    unknown = set(powers) - set(POWERS)
    if unknown or not powers:
        raise Refusal(f"unknown powers {sorted(unknown)}; choose from {', '.join(POWERS)}")
    now = clock.now()
    expires = now + days * 86400
    row = Capability.create(
        note=note, boards=ALL_BOARDS if boards is None else ",".join(sorted(set(boards))),
        powers=",".join(p for p in POWERS if p in powers), created=now, expires=expires,
    )
    issued = Grant(row.id, None if boards is None else frozenset(boards), frozenset(powers),
                   expires)
    return issued, signing.sign(key, "janitor-link", _encode(issued))


def check(payload_token: str, key: bytes, purpose: str = "janitor-link") -> Grant:
    """Verify a token against the key, the clock and the revocation list."""
    try:
        issued = _decode(signing.unsign(key, purpose, payload_token))
    except signing.InvalidSignature as exc:
        raise Refusal("This janitor link is not valid.", 403) from exc
    if issued.expires <= clock.now():
        raise Refusal("This janitor link has expired.", 403)
    row = Capability.get_or_none(Capability.id == issued.id)
    if row is None or row.revoked:
        raise Refusal("This janitor link has been revoked.", 403)
    return issued


def session_token(issued: Grant, key: bytes) -> tuple[Grant, str]:
    """A janitor session: the same grant, signed for another purpose, ending after
    SESSION_SECONDS (or with the grant, if sooner); returns it with the cookie's value."""
    session = replace(issued, expires=min(issued.expires, clock.now() + SESSION_SECONDS))
    return session, signing.sign(key, "janitor-session", _encode(session))


def listing() -> list[Capability]:
    return list(Capability.select().order_by(Capability.id))


def revoke(cap_id: int) -> bool:
    return Capability.update(revoked=True).where(Capability.id == cap_id).execute() > 0


def rotate_key(data_dir: Path) -> None:
    """Revoke every capability and replace the key, so no old link verifies on restart."""
    with write_transaction():
        Capability.update(revoked=True).execute()
    datadir.write_secret(data_dir / "capability_key", replace=True)
