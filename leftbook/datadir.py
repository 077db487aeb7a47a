"""The data dir: private to the user running the site, holding the secrets made on first start."""

import contextlib
import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leftbook.settings import ConfigError

SECRET_FILES = ("secret_key", "capability_key", "tripcode_secret")
MIN_SECRET_BYTES = 32


def ensure_private_dir(path: Path) -> Path:
    """Create `path` with mode 0700 (or tighten it): it holds secrets and posts."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def write_secret(path: Path, *, replace: bool = False) -> None:
    """Write a new random secret to `path` (mode 0600, never half-written).

    Unless `replace`, an existing secret wins: instances starting together on one data dir
    all end up with the one that was linked into place first.
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(MIN_SECRET_BYTES))
            f.flush()
            os.fsync(f.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def load_secret(data_dir: Path, name: str) -> bytes:
    """Read a secret from the data dir, making it (0600, atomically) on first start.

    Refuses a secret that is too short or readable by others: the site must not run on
    a guessable or leaked key.
    """
    path = data_dir / name
    if not path.exists():
        write_secret(path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(
            f"{path} is readable by other users (mode {mode:o}); run `chmod 600 {path}`."
        )
    value = path.read_bytes()
    if len(value) < MIN_SECRET_BYTES:
        raise ConfigError(
            f"{path} holds a secret shorter than {MIN_SECRET_BYTES} bytes; "
            "delete it and a new one is made on the next start."
        )
    return value


def check_secrets(config: Mapping[str, Any]) -> None:
    """Refuse to run with a weak Flask secret (e.g. a `test_config` that sets one)."""
    value = config.get("SECRET_KEY")
    if not isinstance(value, bytes | str) or len(value) < MIN_SECRET_BYTES:
        raise ConfigError(f"SECRET_KEY is missing or shorter than {MIN_SECRET_BYTES} bytes.")


@dataclass(frozen=True, repr=False)
class Secrets:
    """The site's keys; never printed (no repr)."""

    secret_key: bytes
    capability_key: bytes
    tripcode_secret: bytes


def load_secrets(data_dir: Path) -> Secrets:
    return Secrets(*(load_secret(data_dir, name) for name in SECRET_FILES))
