"""Reaching a running tor's control interface: mode strings, authentication, version."""

from __future__ import annotations

import ipaddress
import socket
import threading
from dataclasses import dataclass
from pathlib import Path

import stem
import stem.connection
import stem.control
import stem.version

from onion.errors import AuthFailed, BadTorMode, CannotConnect, TorTooOld

MINIMUM_TOR = stem.version.Version("0.4.6.1")
"""Oldest tor accepted: v3 ephemeral services with ClientAuthV3 (older ones are end-of-life)."""

SYSTEM_CONTROLS = ("socket:/run/tor/control", "control:127.0.0.1:9051", "control:127.0.0.1:9151")
"""Where `auto` looks for a system tor (Debian's socket, tor's and Tor Browser's ports)."""

CONNECT_TIMEOUT = 15.0
"""Seconds allowed to connect, authenticate and ask tor's version."""


@dataclass(frozen=True)
class TorMode:
    """A parsed LEFTBOOK_TOR value."""

    kind: str  # auto, launch, control, socket, off
    host: str = ""
    port: int = 0
    path: str = ""

    def __str__(self) -> str:
        if self.kind == "control":
            return f"control:{self.host}:{self.port}"
        if self.kind == "socket":
            return f"socket:{self.path}"
        return self.kind


def parse_mode(mode: str) -> TorMode:
    text = mode.strip()
    if text in ("auto", "launch", "off"):
        return TorMode(text)
    kind, _, rest = text.partition(":")
    if kind == "socket" and rest:
        return TorMode("socket", path=rest)
    if kind == "control":
        host, _, port = rest.rpartition(":")
        host = host.strip("[]")
        if host and port.isdigit() and 0 < int(port) < 65536:
            return TorMode("control", host=host, port=int(port))
    raise BadTorMode(mode)


def _ip_of(host: str) -> str:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        try:
            return socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)[0][4][0]
        except OSError as exc:
            raise CannotConnect(host, f"cannot resolve the name ({exc})") from exc


def open_controller(mode: TorMode, password: str | None,
                    timeout: float | None = None) -> stem.control.Controller:
    """Connect and authenticate to a `control` or `socket` mode tor; check its version.

    stem waits forever for an answer, so this runs in a helper thread and gives up
    (closing the socket) after `timeout` seconds (default CONNECT_TIMEOUT).
    """
    timeout = CONNECT_TIMEOUT if timeout is None else timeout
    attempt: dict[str, object] = {}
    helper = threading.Thread(target=_open_into, args=(mode, password, attempt),
                              name="onion-connect", daemon=True)
    helper.start()
    helper.join(timeout)
    if helper.is_alive():
        if isinstance(attempt.get("socket"), stem.control.Controller):
            attempt["socket"].close()
        raise CannotConnect(str(mode), f"no answer within {timeout:g} s")
    if "error" in attempt:
        raise attempt["error"]  # type: ignore[misc]
    return attempt["controller"]  # type: ignore[return-value]


def _open_into(mode: TorMode, password: str | None, attempt: dict[str, object]) -> None:
    try:
        attempt["controller"] = _open(mode, password, attempt)
    except BaseException as exc:
        attempt["error"] = exc


def _open(mode: TorMode, password: str | None,
          attempt: dict[str, object]) -> stem.control.Controller:
    where = str(mode)
    try:
        if mode.kind == "socket":
            if not Path(mode.path).exists():
                raise CannotConnect(where, "no such socket")
            controller = stem.control.Controller.from_socket_file(mode.path)
        else:
            controller = stem.control.Controller.from_port(_ip_of(mode.host), mode.port)
    except stem.SocketError as exc:
        raise CannotConnect(where, str(exc) or "connection refused") from exc
    attempt["socket"] = controller
    try:
        stem.connection.authenticate(controller, password=password)
        check_version(controller.get_version())
    except stem.connection.IncorrectSocketType as exc:
        controller.close()
        raise CannotConnect(where, "something answers there, but it is not tor") from exc
    except stem.connection.AuthenticationFailure as exc:
        controller.close()
        raise AuthFailed(where, str(exc) or type(exc).__name__) from exc
    except BaseException:
        controller.close()
        raise
    return controller


def check_version(version: stem.version.Version) -> None:
    if version < MINIMUM_TOR:
        raise TorTooOld(str(version), str(MINIMUM_TOR))
