"""The onion service as `leftbook status` sees it from outside `serve`: the address, how it is
published, whether tor holds a descriptor for it now (asking tor only if it answers, briefly),
and client authorisation. Never launches tor, never configures anything."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from leftbook.serving.publishing import (
    BACKEND_DIR,
    CLIENT_AUTH_FILE,
    TOR_DATA_DIR,
    onion_address,
)
from leftbook.serving.records import ServeRecord
from leftbook.settings import Settings
from onion import SYSTEM_CONTROLS, OnionError, parse_mode
from onion.probe import TorAnswer, ask_tor

ASK_TIMEOUT = 3.0


def _launched_tors(data_dir: Path) -> list[str]:
    """`control:` modes of tors that serve launched (their control_port files), newest first."""
    files = [data_dir / TOR_DATA_DIR / "control_port",
             *data_dir.glob(BACKEND_DIR.format(port="*") + f"/{TOR_DATA_DIR}/control_port")]
    found = []
    for path in sorted((p for p in files if p.is_file()), key=lambda p: -p.stat().st_mtime):
        for line in path.read_text(encoding="ascii", errors="replace").splitlines():
            if line.startswith("PORT="):
                found.append("control:" + line.removeprefix("PORT="))
    return found


def tor_candidates(settings: Settings) -> list[str]:
    """Which tors may publish the site, in the order serve would try them."""
    kind = parse_mode(settings.tor).kind
    if kind in ("control", "socket"):
        return [settings.tor]
    launched = _launched_tors(settings.data_dir)
    if kind == "launch":
        return launched
    return [*SYSTEM_CONTROLS, *launched]  # auto; and off, whose address a system tor publishes


def _addresses(settings: Settings, report: dict[str, Any], warnings: list[str]) -> list[str]:
    """Fill in what is published and under which address; the service ids to ask tor about."""
    data_dir = settings.data_dir
    if settings.onionbalance_master:
        backends = {}
        for hostname in sorted(data_dir.glob(BACKEND_DIR.format(port="*") + "/service/hostname")):
            port = hostname.parent.parent.name.rpartition("-")[2]
            backends[port] = hostname.read_text(encoding="ascii", errors="replace").strip()
        report.update(kind="onionbalance backend", address=settings.onionbalance_master,
                      backends=backends)
        return [address.removesuffix(".onion") for address in backends.values()]
    if parse_mode(settings.tor).kind == "off":
        report.update(kind="system tor (HiddenServiceDir)" if settings.onion_host else "none",
                      address=settings.onion_host)
        if not settings.onion_host:
            warnings.append("LEFTBOOK_TOR=off and no LEFTBOOK_ONION_HOST: the site is served "
                            "on loopback only (docs/onion.md).")
        return [settings.onion_host.removesuffix(".onion")] if settings.onion_host else []
    report["kind"] = "ephemeral (leftbook publishes it)"
    try:
        report["address"] = onion_address(data_dir)
    except OnionError as exc:
        warnings.append(str(exc))
        report["address"] = None
    return [report["address"].removesuffix(".onion")] if report["address"] else []


def _ask(settings: Settings, service_ids: list[str],
         report: dict[str, Any]) -> tuple[TorAnswer | None, dict[str, bool]]:
    """Ask every tor that may publish the site; (the one that publishes it, or else the first
    that answered; which service ids some tor holds a descriptor for)."""
    chosen, held, unreachable = None, dict.fromkeys(service_ids, False), []
    for mode in tor_candidates(settings):
        try:
            answer = ask_tor(mode, settings.tor_password, service_ids, timeout=ASK_TIMEOUT)
        except (OnionError, OSError) as exc:
            unreachable.append(f"{mode}: {getattr(exc, 'reason', None) or exc}")
            continue
        for service_id, has in answer.descriptors.items():
            held[service_id] = held[service_id] or has
        if chosen is None or (any(answer.descriptors.values())
                              and not any(chosen.descriptors.values())):
            chosen = answer
    report["tor_unreachable"] = unreachable
    return chosen, held


def onion_status(settings: Settings, notes: list[tuple[ServeRecord, bool | None]], *,
                 ask: bool = True) -> tuple[dict[str, Any], list[str]]:
    """(the "onion" part of the status report, warnings)."""
    warnings: list[str] = []
    report: dict[str, Any] = {"tor_mode": settings.tor}
    service_ids = _addresses(settings, report, warnings)
    running = [record for record, alive in notes if alive and record.onion]
    report["client_auth"] = (any(r.client_auth for r in running) if running else None)
    report["client_auth_key"] = (settings.data_dir / CLIENT_AUTH_FILE).exists()
    report["published"], report["tor"] = None, None
    if ask and report["kind"] != "none":
        answer, held = _ask(settings, service_ids, report)
        if answer is not None:
            report["tor"] = {"where": answer.where, "version": answer.version,
                             "bootstrap": answer.bootstrap}
            report["published"] = any(held.values())
            if "backends" in report:
                report["backends_published"] = {
                    port: held.get(address.removesuffix(".onion"), False)
                    for port, address in report["backends"].items()}
    if parse_mode(settings.tor).kind in ("auto", "launch") and shutil.which("tor") is None \
            and report["tor"] is None:
        warnings.append("tor is not installed: `leftbook serve` cannot publish the site "
                        "(apt-get install tor).")
    if running and report["published"] is False:
        warnings.append("serve is running but tor holds no descriptor for the site: it is not "
                        f"reachable over Tor now (tor: {report['tor']['bootstrap']}).")
    return report, warnings
