"""Lockdown: the operator makes the site or one board read-only or captcha-only.

The switches are `Setting` rows ("lockdown:site", "lockdown:board:<slug>"), so every
instance sharing the database obeys them at once.
"""

from peewee import Expression

from leftbook import clock
from leftbook.database import run_compiled, write_transaction
from leftbook.database.models import Setting

MODES = ("readonly", "captcha")
READONLY_MESSAGE = {
    "site": "The site is read-only for now: posting is paused during a spam wave.",
    "board": "This board is read-only for now: posting is paused during a spam wave.",
}


def _in_force(now: int) -> Expression:
    return Setting.expires.is_null() | (Setting.expires > now)


def settings_in_force(keys: list[str]) -> dict[str, str]:
    """The values of those of `keys` that are set and not expired (pages ask on every
    request, so the SQL is made once for each number of keys)."""

    def build(*values):
        return Setting.select(Setting.key, Setting.value).where(
            Setting.key.in_(list(values[:-1])), _in_force(values[-1]))

    rows = run_compiled(f"settings_in_force:{len(keys)}", build, *keys, clock.now())
    return dict(rows.fetchall())


def _key(board: str | None) -> str:
    return f"lockdown:board:{board}" if board else "lockdown:site"


def set_lockdown(board: str | None, mode: str | None) -> None:
    """Lock the site (`board` None) or a board in `mode`, or lift it (`mode` None)."""
    if mode is not None and mode not in MODES:
        raise ValueError(f"lockdown mode must be one of {', '.join(MODES)}")
    with write_transaction():
        Setting.delete().where(Setting.key == _key(board)).execute()
        if mode is not None:
            Setting.create(key=_key(board), value=mode, expires=None)


def lockdown_keys(board: str) -> list[str]:
    """The settings that may lock posting on `board`."""
    return [_key(None), _key(board)]


def mode_in(found: dict[str, str], board: str) -> tuple[str | None, str | None]:
    """(mode, message) that the settings `found` (read for `lockdown_keys(board)`, maybe
    with others) put in force on `board`: read-only wins over captcha."""
    modes = {scope: found.get(_key(b)) for scope, b in (("site", None), ("board", board))}
    for scope, mode in modes.items():
        if mode == "readonly":
            return "readonly", READONLY_MESSAGE[scope]
    if "captcha" in modes.values():
        return "captcha", None
    return None, None


def lockdowns() -> dict[str, str]:
    """Every lockdown in force, by scope ("site" or a board slug)."""
    rows = Setting.select().where(Setting.key.startswith("lockdown:"), _in_force(clock.now()))
    return {row.key.removeprefix("lockdown:").removeprefix("board:"): row.value for row in rows}
