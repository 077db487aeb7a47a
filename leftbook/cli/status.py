"""`leftbook status`: the site at a glance, as text or JSON (for monitoring), read without
disturbing a running site: no app is built, the database is opened read-only, tor is only
asked (briefly) and never launched."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import click

from leftbook import clock
from leftbook.boards import load_boards
from leftbook.datadir import SECRET_FILES
from leftbook.serving.onion_status import onion_status
from leftbook.serving.publishing import BACKEND_DIR, CLIENT_AUTH_FILE, KEY_FILE
from leftbook.serving.records import ServeRecord, read_notes
from leftbook.settings import ConfigError, load_settings
from leftbook.status.activity import when
from leftbook.status.checks import size_text
from leftbook.status.report import collect

SECRETS = [*SECRET_FILES, KEY_FILE, CLIENT_AUTH_FILE, "config.toml",
           BACKEND_DIR.format(port="*") + "/service", BACKEND_DIR.format(port="*") + "/service/*"]


def _cross_checks(report: dict[str, Any], notes: list[tuple[ServeRecord, bool | None]],
                  now: int) -> list[str]:
    warnings = []
    for record, alive in notes:
        if alive is False:
            warnings.append(f"`leftbook serve` on port {record.port} (process {record.pid}) "
                            "stopped without withdrawing its note: it was killed or crashed.")
    prune = report.get("prune")
    if any(alive for _, alive in notes) and prune:
        late = max(3 * prune["interval"], prune["interval"] + 600)
        last = prune["last"]["at"] if prune["last"] else None
        started = min(r.started for r, alive in notes if alive)
        if (last or started) < now - late and not prune["running_since"]:
            warnings.append("serve is running but no prune pass finished for "
                            f"{(now - (last or started)) // 60} min: see serve's log.")
    return warnings


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (monitoring).")
@click.option("--no-tor", is_flag=True, help="Do not ask tor whether the site is published.")
def status(as_json: bool, no_tor: bool) -> None:
    """The onion address and whether it is published, the database, boards, files, the last
    prune pass, flood state, captcha, lockdowns, and warnings to act on."""
    try:
        settings = load_settings()
        boards = load_boards(settings.boards_dir)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    now = clock.now()
    report = collect(settings, boards, secrets=SECRETS, now=now)
    notes = read_notes(settings.data_dir) if settings.data_dir.is_dir() else []
    serving = []
    for record, alive in notes:
        shown = {k: v for k, v in asdict(record).items() if k != "host"}
        serving.append({**shown, "running": alive})
    report["serving"] = serving
    report["onion"], warnings = onion_status(settings, notes, ask=not no_tor)
    report["warnings"] += warnings + _cross_checks(report, notes, now)
    click.echo(json.dumps(report, indent=2) if as_json else render(report))


def _ago(now: int, then: int) -> str:
    seconds = max(0, now - then)
    if seconds < 120:
        return f"{seconds} s ago"
    return f"{seconds // 60} min ago" if seconds < 7200 else f"{seconds // 3600} h ago"


def _onion_lines(onion: dict[str, Any]) -> list[str]:
    published = {True: "published", False: "NOT published", None: "publication unknown"}
    tor = onion["tor"]
    asked = (f"tor {tor['version']} at {tor['where']}, {tor['bootstrap']}" if tor else
             "no tor answered" + (f" ({'; '.join(onion['tor_unreachable'])})"
                                  if onion.get("tor_unreachable") else ""))
    lines = [f"onion        {onion['address'] or '(no address yet)'}  [{onion['kind']}]",
             f"             {published[onion['published']]} ({asked})"]
    for port, address in onion.get("backends", {}).items():
        state = onion.get("backends_published", {}).get(port)
        lines.append(f"             backend port {port}: {address} "
                     f"{'' if state is None else published[state]}".rstrip())
    auth = {True: "on", False: "off", None: "unknown (serve is not running)"}
    lines.append(f"             client authorisation: {auth[onion['client_auth']]}"
                 + (" (a key pair exists)" if onion["client_auth_key"] else ""))
    return lines


def _board_lines(boards: dict[str, Any]) -> list[str]:
    lines = [f"boards       {'board':<16} {'threads':>8} {'posts':>8} {'files':>7} {'size':>10}"]
    for slug, row in boards.items():
        lines.append(f"             {'/' + slug + '/':<16} {row['threads']:>8} {row['posts']:>8} "
                     f"{row['files']:>7} {size_text(row['file_bytes']):>10}"
                     + ("  (no board file)" if row["title"] is None else ""))
    return lines


def _prune_lines(prune: dict[str, Any], now: int) -> list[str]:
    last = prune["last"]
    lines = [f"prune        every {prune['interval']:g} s inside serve; "
             + ("no pass recorded yet" if last is None else
                f"last pass {when(last['at'])} ({_ago(now, last['at'])}), "
                f"took {last['seconds']:g} s")]
    if last:
        removed = " ".join(f"{k}={v}" for k, v in last["removed"].items() if v) or "nothing"
        lines.append(f"             removed: {removed}")
    if prune["running_since"]:
        lines.append(f"             a pass is running since {when(prune['running_since'])}")
    return lines


def _abuse_lines(abuse: dict[str, Any], now: int) -> list[str]:
    rate = ("flood control off" if not abuse["flood_control"] else
            f"posts in the last minute: {abuse['posts_last_minute']}, "
            f"last hour: {abuse['posts_last_hour']}")
    alarms = ", ".join(f"{'the site' if scope == 'site' else '/' + scope + '/'} "
                       f"(for {max(0, until - now) // 60 + 1} min)"
                       for scope, until in abuse["flood_alarms"].items())
    threads = ", ".join(f"/{s}/" for s in abuse["captcha_for_new_threads"]) or "none"
    locks = ", ".join(f"{'the site' if scope == 'site' else '/' + scope + '/'}: {mode}"
                      for scope, mode in abuse["lockdowns"].items()) or "none"
    return [f"flood        {rate}",
            f"             captcha turned on by a flood: {alarms or 'nowhere'}",
            f"captcha      {abuse['captcha']}; boards asking on new threads: {threads}",
            f"lockdowns    {locks}"]


def render(report: dict[str, Any]) -> str:
    """The report as an operator reads it in a terminal."""
    now = report["time"]
    lines = [f"Leftbook status at {when(now)}", f"data dir     {report['data_dir']}"]
    for row in report["serving"]:
        state = {True: "running", False: "NOT running", None: "on another machine"}
        lines.append(f"serve        port {row['port']}, process {row['pid']}, "
                     f"{state[row['running']]}, since {when(row['started'])}")
    if not report["serving"]:
        lines.append("serve        not running (no note in <data dir>/run)")
    lines += _onion_lines(report["onion"])
    db = report["database"]
    if db:
        lines.append(f"database     {db['kind']} {db['where']}, {size_text(db['bytes'] or 0)}, "
                     f"schema version {db['schema_version']} (this release: "
                     f"{db['schema_expected']})")
    if report["boards"] is not None:
        lines += _board_lines(report["boards"])
        files = report["files"]
        lines.append(f"files        {files['files']} stored ({size_text(files['bytes'])}); "
                     f"on disk with thumbnails: {files['on_disk']['files']} files, "
                     f"{size_text(files['on_disk']['bytes'])}")
    if report["disk"]:
        disk, crypt = report["disk"], report["disk"]["encryption"]
        lines.append(f"disk         {size_text(disk['free'])} free of "
                     f"{size_text(disk['total'])}; encryption: {crypt['state']} "
                     f"({crypt['on']})")
    if report["prune"]:
        lines += _prune_lines(report["prune"], now)
    if report["abuse"]:
        lines += _abuse_lines(report["abuse"], now)
    lines.append("warnings" + ("     none" if not report["warnings"] else ""))
    lines += [f"  - {warning}" for warning in report["warnings"]]
    return "\n".join(lines)
