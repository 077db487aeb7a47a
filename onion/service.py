"""ADD_ONION with Tor's DoS defences, and a bounded wait for the descriptor upload."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import stem
import stem.control
import stem.response

from onion.errors import AddressInUse, CannotConnect, PublicationTimeout, ServiceRejected

DEFAULT_MAX_STREAMS = 20
"""Streams allowed per rendezvous circuit; a circuit asking for more is closed."""


@dataclass(frozen=True)
class PowSettings:
    """Tor's proof-of-work defence (tor >= 0.4.8 built with the pow module): introductions
    handled per second from the priority queue, and at most at once. The defaults are tor's
    own (HiddenServicePoWQueueRate/Burst); a caller that knows its capacity passes its own."""

    queue_rate: int = 250
    queue_burst: int = 2500


def add_onion_command(
    key_blob: str,
    ports: Mapping[int, int | str],
    *,
    max_streams: int = DEFAULT_MAX_STREAMS,
    pow_settings: PowSettings | None = None,
    client_keys: Sequence[str] = (),
) -> str:
    """The raw ADD_ONION line; stem 1.8.2 has no argument for the PoW keywords."""
    flags = ["DiscardPK"]
    if max_streams:
        flags.append("MaxStreamsCloseCircuit")
    if client_keys:
        flags.append("V3Auth")
    words = ["ADD_ONION", f"ED25519-V3:{key_blob}", "Flags=" + ",".join(flags)]
    if max_streams:
        words.append(f"MaxStreams={max_streams}")
    if pow_settings is not None:
        words += [
            "PoWDefensesEnabled=1",
            f"PoWQueueRate={pow_settings.queue_rate}",
            f"PoWQueueBurst={pow_settings.queue_burst}",
        ]
    for virtual, target in ports.items():
        where = f"127.0.0.1:{target}" if isinstance(target, int) else target
        words.append(f"Port={virtual},{where}")
    words += [f"ClientAuthV3={key}" for key in client_keys]
    return " ".join(words)


def add_service(
    controller: stem.control.Controller,
    key_blob: str,
    ports: Mapping[int, int | str],
    *,
    address: str,
    max_streams: int = DEFAULT_MAX_STREAMS,
    pow_settings: PowSettings | None = None,
    client_keys: Sequence[str] = (),
    warn: Callable[[str], None] = print,
) -> str:
    """Send ADD_ONION; retry without PoW when tor rejects it. Returns the service id."""
    options = {"max_streams": max_streams, "client_keys": client_keys}
    reply = _send(controller, add_onion_command(key_blob, ports, pow_settings=pow_settings,
                                                **options))
    if not reply.is_ok() and pow_settings is not None and "pow" in str(reply).lower():
        warn(
            f"tor refused the proof-of-work defence ({reply}); publishing without it. "
            "Upgrade to tor 0.4.8 or newer built with the pow module to turn it on."
        )
        reply = _send(controller, add_onion_command(key_blob, ports, **options))
    if not reply.is_ok():
        if "collision" in str(reply).lower():
            raise AddressInUse(address)
        raise ServiceRejected(str(reply))
    stem.response.convert("ADD_ONION", reply)
    return reply.service_id


def _send(controller: stem.control.Controller, command: str) -> stem.response.ControlMessage:
    try:
        return controller.msg(command)
    except stem.SocketClosed as exc:
        raise CannotConnect("tor", "the control connection closed") from exc


def publish_and_wait(
    controller: stem.control.Controller,
    publish: Callable[[], str],
    address: str,
    timeout: float,
    progress: Callable[[str], None],
) -> str:
    """Run `publish` and wait, at most `timeout` seconds, until tor uploads a descriptor.

    On timeout the service is removed again (tor would otherwise keep it) and
    PublicationTimeout is raised.
    """
    expected = address.removesuffix(".onion")
    uploaded = threading.Event()

    def on_descriptor(event: stem.response.events.HSDescEvent) -> None:
        if event.address == expected and event.action == stem.HSDescAction.UPLOADED:
            uploaded.set()

    controller.add_event_listener(on_descriptor, stem.control.EventType.HS_DESC)
    try:
        service_id = publish()
        deadline, last_phase = time.monotonic() + timeout, ""
        while not uploaded.wait(0.25):
            if not controller.is_alive():
                raise CannotConnect("tor", "the control connection closed during publication")
            if time.monotonic() > deadline:
                remove_quietly(controller, service_id)
                raise PublicationTimeout(address, timeout)
            phase = _bootstrap_phase(controller)
            if phase != last_phase:
                progress(f"waiting for tor to publish {address}: {phase}")
                last_phase = phase
        return service_id
    finally:
        if controller.is_alive():
            controller.remove_event_listener(on_descriptor)


def _bootstrap_phase(controller: stem.control.Controller) -> str:
    try:
        line = controller.get_info("status/bootstrap-phase")
    except stem.ControllerError:
        return "tor status unknown"
    fields = dict(part.split("=", 1) for part in line.split() if "=" in part)
    summary = fields.get("SUMMARY", "").strip('"')
    return f"tor bootstrapped {fields.get('PROGRESS', '?')}% ({summary})"


def remove_quietly(controller: stem.control.Controller, service_id: str) -> None:
    with contextlib.suppress(stem.ControllerError):
        controller.remove_ephemeral_hidden_service(service_id)
