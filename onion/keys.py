"""The service key file (0600, written atomically), its onion address, client-auth keys."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from onion import x25519
from onion.errors import KeyFileInvalid, KeyFilePermissions, KeyFileUnreadable

KEY_TYPE = "ED25519-V3"


def new_service_key() -> str:
    """A fresh ED25519-V3 key blob in tor's format: the expanded secret key, base64."""
    expanded = bytearray(hashlib.sha512(secrets.token_bytes(32)).digest())
    expanded[0] &= 248
    expanded[31] &= 127
    expanded[31] |= 64
    return base64.b64encode(bytes(expanded)).decode("ascii")


def service_id(key_blob: str) -> str:
    """The 56-character v3 onion service id (no `.onion`) of a key blob."""
    from stem.util import ed25519  # pure Python, imported late: only needed here

    expanded = base64.b64decode(key_blob)
    scalar = int.from_bytes(expanded[:32], "little")
    public = ed25519.encodepoint(ed25519.scalarmult_B(scalar))
    version = b"\x03"
    checksum = hashlib.sha3_256(b".onion checksum" + public + version).digest()[:2]
    return base64.b32encode(public + checksum + version).decode("ascii").lower()


def write_private_file(path: Path, text: str) -> None:
    """Write `text` to `path` with mode 0600, atomically (temp file, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def read_private_file(path: Path) -> str:
    """Read a secret file, refusing it when group or others may read or write it."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise KeyFilePermissions(path, mode)
        return path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileUnreadable(path, exc.strerror or str(exc)) from exc


def load_service_key(path: Path) -> str:
    """The key blob saved in `path`; raises a KeyFileError subclass when unusable."""
    text = read_private_file(path).strip()
    key_type, _, blob = text.partition(":")
    if key_type != KEY_TYPE:
        raise KeyFileInvalid(path, f"it does not start with {KEY_TYPE}:")
    try:
        raw = base64.b64decode(blob, validate=True)
    except binascii.Error as exc:
        raise KeyFileInvalid(path, "the key is not valid base64") from exc
    if len(raw) != 64:
        raise KeyFileInvalid(path, f"the key has {len(raw)} bytes instead of 64")
    return blob


def load_or_create_service_key(path: Path) -> str:
    if path.exists():
        return load_service_key(path)
    blob = new_service_key()
    write_private_file(path, f"{KEY_TYPE}:{blob}\n")
    return blob


def address_of_key_file(path: Path) -> str | None:
    """The `.onion` hostname of the key saved in `path`, or None when there is no key yet."""
    if not path.exists():
        return None
    return service_id(load_service_key(path)) + ".onion"


def _b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode("ascii").rstrip("=")


@dataclass(frozen=True)
class ClientKeyPair:
    """One authorised client: tor gets `public`, the member's Tor Browser gets `private`."""

    public: str
    private: str

    def auth_private_line(self, address: str) -> str:
        """The line of a client's `<name>.auth_private` file (ClientOnionAuthDir)."""
        return f"{address.removesuffix('.onion')}:descriptor:x25519:{self.private}"


def new_client_keypair() -> ClientKeyPair:
    secret = x25519.new_secret()
    return ClientKeyPair(public=_b32(x25519.public_key(secret)), private=_b32(secret))
