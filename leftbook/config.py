"""Configuration from defaults, `<data dir>/config.toml` and `LEFTBOOK_*` environment variables."""

import contextlib
import os
import secrets
import stat
import tomllib
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    "LEFTBOOK_DATA_DIR": "./instance",
    "LEFTBOOK_DATABASE_URL": None,
    "LEFTBOOK_BOARDS_DIR": None,
    "LEFTBOOK_TOR": "auto",
    "LEFTBOOK_TOR_PASSWORD": None,
    "LEFTBOOK_ONION_HOST": None,
    "LEFTBOOK_ONIONBALANCE_MASTER": None,
    "LEFTBOOK_CAPTCHA": "auto",
    "LEFTBOOK_FLOOD": "on",
    "LEFTBOOK_KEEP_FILENAMES": "off",
    "LEFTBOOK_PRUNE_INTERVAL": "300",
}

SECRET_FILES = ("secret_key", "capability_key", "tripcode_secret")
MIN_SECRET_BYTES = 32


class ConfigError(RuntimeError):
    """A configuration problem the operator must fix before the site can start."""


def default_boards_dir() -> Path:
    """`./boards` when it exists (a checkout), else the boards shipped beside the package."""
    local = Path("boards")
    return local if local.is_dir() else Path(__file__).resolve().parent.parent / "boards"


def load_settings(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Defaults, then the data dir's config.toml, then the environment, then `overrides`."""
    overrides = overrides or {}
    settings = dict(DEFAULTS)
    data_dir = overrides.get(
        "LEFTBOOK_DATA_DIR", os.environ.get("LEFTBOOK_DATA_DIR", DEFAULTS["LEFTBOOK_DATA_DIR"])
    )
    config_file = Path(data_dir) / "config.toml"
    if config_file.is_file():
        try:
            settings.update(tomllib.loads(config_file.read_text()))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{config_file}: not valid TOML ({exc})") from exc
    settings.update({k: v for k, v in os.environ.items() if k in DEFAULTS})
    settings.update(overrides)
    data = Path(settings["LEFTBOOK_DATA_DIR"]).resolve()
    settings["LEFTBOOK_DATA_DIR"] = str(data)
    settings["LEFTBOOK_DATABASE_URL"] = (
        settings["LEFTBOOK_DATABASE_URL"] or f"sqlite:///{data / 'leftbook.db'}"
    )
    settings["LEFTBOOK_BOARDS_DIR"] = str(
        Path(settings["LEFTBOOK_BOARDS_DIR"] or default_boards_dir()).resolve()
    )
    return settings


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


def check_secrets(settings: dict[str, Any]) -> None:
    """Refuse to run with a weak secret (e.g. a `test_config` or config.toml that sets one)."""
    for key in ("SECRET_KEY", "CAPABILITY_KEY", "TRIPCODE_SECRET"):
        value = settings.get(key)
        if not isinstance(value, bytes | str) or len(value) < MIN_SECRET_BYTES:
            raise ConfigError(f"{key} is missing or shorter than {MIN_SECRET_BYTES} bytes.")
