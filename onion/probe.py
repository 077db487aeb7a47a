"""Asking a running tor, briefly and without changing anything, what it publishes."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import stem
import stem.control

from onion.control import open_controller, parse_mode
from onion.errors import CannotConnect
from onion.service import _bootstrap_phase


@dataclass(frozen=True)
class TorAnswer:
    """What one tor said: its version, how far it bootstrapped, and for each service id
    asked about whether it holds a descriptor for it (it does once it has published)."""

    where: str
    version: str
    bootstrap: str
    descriptors: dict[str, bool] = field(default_factory=dict)


def ask_tor(mode: str, password: str | None, service_ids: Sequence[str],
            timeout: float = 3.0) -> TorAnswer:
    """Ask the tor that `mode` names (`control:` or `socket:`) about `service_ids`, giving up
    after about `timeout` seconds. Raises an OnionError (CannotConnect, AuthFailed, TorTooOld)
    when that tor cannot be asked. Nothing is configured or published."""
    parsed = parse_mode(mode)
    outcome: dict[str, object] = {}
    helper = threading.Thread(target=_ask_into, name="onion-ask", daemon=True,
                              args=(parsed, password, service_ids, timeout, outcome))
    helper.start()
    helper.join(2 * timeout)
    if helper.is_alive():
        controller = outcome.get("controller")
        if isinstance(controller, stem.control.Controller):
            controller.close()
        raise CannotConnect(str(parsed), f"no answer within {2 * timeout:g} s")
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["answer"]  # type: ignore[return-value]


def _ask_into(mode, password, service_ids, timeout, outcome: dict[str, object]) -> None:
    try:
        controller = open_controller(mode, password, timeout=timeout)
        outcome["controller"] = controller
        try:
            outcome["answer"] = TorAnswer(
                str(mode), str(controller.get_version()).split(" ")[0],
                _bootstrap_phase(controller).removeprefix("tor bootstrapped "),
                {sid: _has_descriptor(controller, sid) for sid in service_ids})
        finally:
            controller.close()
    except BaseException as exc:
        outcome["error"] = exc


def _has_descriptor(controller: stem.control.Controller, service_id: str) -> bool:
    """tor answers "Not found in cache" both for a service it does not host and for one it
    hosts but has not published yet (offline, or still bootstrapping)."""
    try:
        return controller.get_info(f"hs/service/desc/id/{service_id}").startswith(
            "hs-descriptor 3")
    except stem.ControllerError:
        return False
