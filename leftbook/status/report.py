"""The site's part of the status report, gathered on a read-only database connection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from peewee import PeeweeException

from leftbook.boards import Board
from leftbook.database import bound_to, open_read_only
from leftbook.settings import Settings
from leftbook.status.activity import abuse_state, prune_state
from leftbook.status.checks import disk_space, encryption, private_files
from leftbook.status.site import (
    board_counts,
    database_facts,
    files_on_disk,
    shown_url,
    sqlite_path,
    stored_files,
)

DATABASE_TIMEOUT = 5.0


def _database_part(settings: Settings, boards: dict[str, Board], now: int,
                   report: dict[str, Any], warnings: list[str]) -> None:
    url = settings.database_url
    if url.startswith("sqlite") and not sqlite_path(url).exists():
        warnings.append(f"no database yet at {sqlite_path(url)}: `leftbook serve` makes it "
                        "on first start.")
        return
    try:
        with bound_to(open_read_only(url, timeout=DATABASE_TIMEOUT)):
            report["database"], found = database_facts(url)
            warnings += found
            if report["database"]["schema_version"] is None:
                return
            report["boards"] = board_counts(boards)
            report["files"] = stored_files()
            report["prune"], found = prune_state(settings, now)
            warnings += found
            report["abuse"] = abuse_state(settings, boards, now)
    except PeeweeException as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        warnings.append(f"cannot read the database {shown_url(url)}: {reason}")


def collect(settings: Settings, boards: dict[str, Board], *, secrets: list[str],
            now: int) -> dict[str, Any]:
    """Everything but the onion service: data dir, database, boards, files, prune, flood,
    captcha and lockdowns, with a list of warnings. `secrets`: glob patterns of the data dir's
    secret files."""
    data_dir = settings.data_dir
    report: dict[str, Any] = {"time": now, "data_dir": str(data_dir), "database": None,
                              "boards": None, "files": None, "prune": None, "abuse": None,
                              "disk": None}
    warnings: list[str] = []
    if not data_dir.is_dir():
        warnings.append(f"the data dir {data_dir} does not exist: `leftbook serve` makes it on "
                        "first start (LEFTBOOK_DATA_DIR says where).")
    else:
        warnings += private_files(data_dir, secrets)
        report["disk"], found = disk_space(data_dir)
        warnings += found
        report["disk"]["encryption"], found = encryption(data_dir)
        warnings += found
    _database_part(settings, boards, now, report, warnings)
    if report["files"] is not None:
        report["files"]["on_disk"] = files_on_disk(Path(data_dir) / "files")
    report["warnings"] = warnings
    return report
