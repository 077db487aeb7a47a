"""One typed, validated Settings object from defaults, `<data dir>/config.toml` and the
environment (`LEFTBOOK_*`), built once when the app starts.

Every value is checked: a misspelt name, a value outside the accepted set, a number out of
range or an unsupported database URL stops start-up with one line naming the variable, the
value and what is accepted. Protection is never weakened silently.
"""

import math
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from leftbook.resources import shipped_dir
from onion import OnionError, master_address, parse_mode

PREFIX = "LEFTBOOK_"
RESERVED_PREFIX = "LEFTBOOK_TEST_"  # the test suite's own variables, never a setting
MIN_PRUNE_INTERVAL, MAX_PRUNE_INTERVAL = 1.0, 3600.0
SQLITE_SCHEME = "sqlite:///"
POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+pool", "postgres+pool")
SECRET_WORDS = ("PASS", "SECRET", "TOKEN", "KEY")  # a refused value of such a name is hidden


class ConfigError(RuntimeError):
    """A configuration problem the operator must fix before the site can start."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    boards_dir: Path
    tor: str = "auto"
    tor_password: str | None = None
    onion_host: str | None = None
    onionbalance_master: str | None = None
    captcha: str = "auto"
    flood: bool = True
    keep_filenames: bool = False
    prune_interval: float = 300.0


def _refuse(name: str, value: object, accepted: str) -> ConfigError:
    return ConfigError(f"{name}={_shown(name, value)} is not accepted: {accepted}.")


def _shown(name: str, value: object, *names: str) -> str:
    """A value as a message shows it: quoted, or hidden when it may be a secret (`names`: the
    settings a misspelt name may have meant)."""
    secret = any(w in n.upper() for n in (name, *names) for w in SECRET_WORDS)
    return "(hidden)" if secret else repr(value)


def _choice(*choices: str) -> Callable[[str, str], str]:
    def check(name: str, value: str) -> str:
        if value not in choices:
            raise _refuse(name, value, "use one of " + ", ".join(choices))
        return value

    return check


def _switch(name: str, value: str) -> bool:
    return _choice("on", "off")(name, value) == "on"


def _tor(name: str, value: str) -> str:
    try:
        parse_mode(value)
    except OnionError as exc:
        raise _refuse(name, value, "use auto, launch, off, control:HOST:PORT or "
                                   "socket:PATH") from exc
    return value


def _onion_name(name: str, value: str) -> str:
    try:
        return master_address(value)
    except OnionError as exc:
        raise _refuse(name, value, "a v3 onion name (56 letters a-z and digits 2-7, then "
                                   ".onion)") from exc


def _prune_interval(name: str, value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not (MIN_PRUNE_INTERVAL <= seconds <= MAX_PRUNE_INTERVAL):
        raise _refuse(name, value, f"a number of seconds from {MIN_PRUNE_INTERVAL:g} to "
                                   f"{MAX_PRUNE_INTERVAL:g}")
    return seconds


def _database_url(name: str, value: str) -> str:
    """SQLite on a file, or PostgreSQL with a database name: parsed as playhouse.db_url does,
    so nothing it would open in memory (`:memory:`, no path, `#…`, `?uri=…`) gets through."""
    url = urlsplit(value)
    try:
        port_ok = url.port is None or url.port > 0
    except ValueError:
        port_ok = False
    database = url.path[1:]
    if url.scheme == "sqlite" and value.startswith(SQLITE_SCHEME):
        ok = database not in ("", ":memory:") and not (url.query or url.fragment)
    else:
        ok = url.scheme in POSTGRES_SCHEMES and bool(database) and port_ok \
            and not url.fragment
    if ok:
        return value
    shown = value.replace(f":{url.password}@", ":(hidden)@") if url.password else value
    raise ConfigError(f"{name}={shown!r} is not accepted: sqlite:///PATH (a file; not "
                      ":memory:, no ?options) or postgresql://USER@HOST:PORT/NAME.")


def _directory(name: str, value: str) -> str:
    """A directory path; it need not exist yet, but must not be some other kind of file."""
    if not value or (Path(value).exists() and not Path(value).is_dir()):
        raise _refuse(name, value, "the path of a directory")
    return value


def _boards_dir(name: str, value: str) -> str:
    if not value or not Path(value).is_dir():
        raise _refuse(name, value, "an existing directory of board files (*.toml)")
    return value


def _text(_name: str, value: str) -> str:
    return value


CHECKS: dict[str, tuple[str, Callable[[str, str], Any]]] = {
    "LEFTBOOK_DATA_DIR": ("data_dir", _directory),
    "LEFTBOOK_DATABASE_URL": ("database_url", _database_url),
    "LEFTBOOK_BOARDS_DIR": ("boards_dir", _boards_dir),
    "LEFTBOOK_TOR": ("tor", _tor),
    "LEFTBOOK_TOR_PASSWORD": ("tor_password", _text),
    "LEFTBOOK_ONION_HOST": ("onion_host", _onion_name),
    "LEFTBOOK_ONIONBALANCE_MASTER": ("onionbalance_master", _onion_name),
    "LEFTBOOK_CAPTCHA": ("captcha", _choice("off", "always", "auto")),
    "LEFTBOOK_FLOOD": ("flood", _switch),
    "LEFTBOOK_KEEP_FILENAMES": ("keep_filenames", _switch),
    "LEFTBOOK_PRUNE_INTERVAL": ("prune_interval", _prune_interval),
}


def _read_toml(path: Path) -> dict[str, Any]:
    """The settings in a data dir's config.toml, where every key must be a setting."""
    try:
        table = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    found = _known(table, str(path), every_key=True)
    if "LEFTBOOK_DATA_DIR" in found:
        raise ConfigError(f"LEFTBOOK_DATA_DIR in {path} is not accepted: the data dir holds "
                          "this file, so set LEFTBOOK_DATA_DIR in the environment.")
    return found


def _known(names: Mapping[str, Any], where: str, *, every_key: bool = False) -> dict[str, Any]:
    """The values of `names` that are settings (None: not set); an unknown LEFTBOOK_ name, or
    with `every_key` any unknown name, is refused."""
    found = {}
    for name, value in names.items():
        if not every_key and (not name.startswith(PREFIX) or name.startswith(RESERVED_PREFIX)):
            continue
        if name not in CHECKS:
            close = [k for k in CHECKS if _similar(k, name.upper())]
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ConfigError(f"{name}={_shown(name, value, *close)} in {where} is not a Leftbook "
                              f"setting{hint}; the settings are {', '.join(CHECKS)}.")
        if value is not None:
            found[name] = value
    return found


def _similar(a: str, b: str) -> bool:
    return (len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) <= 2) or \
        sorted(a) == sorted(b)


def default_boards_dir() -> Path:
    """`./boards` when it exists (a checkout, or an operator's own), else the shipped boards."""
    local = Path("boards")
    return local if local.is_dir() else shipped_dir("boards")


def load_settings(overrides: Mapping[str, Any] | None = None,
                  environ: Mapping[str, str] | None = None) -> Settings:
    """Defaults, then the data dir's config.toml, then the environment, then `overrides`."""
    environ = os.environ if environ is None else environ
    raw = _known(environ, "the environment")
    raw.update(_known(overrides or {}, "the app's test configuration"))
    data_dir = _checked("LEFTBOOK_DATA_DIR", raw.get("LEFTBOOK_DATA_DIR", "./instance"))
    config_file = Path(data_dir) / "config.toml"
    raw = {**(_read_toml(config_file) if config_file.is_file() else {}), **raw}
    values = {CHECKS[name][0]: _checked(name, value) for name, value in raw.items()}
    data = Path(data_dir).resolve()
    values.pop("data_dir", None)
    return Settings(
        data_dir=data,
        database_url=values.pop("database_url", f"{SQLITE_SCHEME}{data / 'leftbook.db'}"),
        boards_dir=Path(values.pop("boards_dir", None) or default_boards_dir()).resolve(),
        **values,
    )


def _checked(name: str, value: Any) -> Any:
    """The typed value of one setting, from a string (environment) or a TOML value."""
    if not isinstance(value, str):
        value = str(value).lower() if isinstance(value, bool) else str(value)
    return CHECKS[name][1](name, value.strip())
