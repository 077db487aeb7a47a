"""Publishing as an Onionbalance backend: a HiddenServiceDir service set up through SETCONF
(ADD_ONION services cannot be backends). Other services of that tor are kept."""

from __future__ import annotations

import atexit
import base64
import binascii
import functools
import hashlib
import os
import pwd
import stat
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import stem
import stem.control
import stem.response

from onion.errors import (
    BackendDirPermissions,
    BackendDirUnusable,
    BackendRejected,
    BadMasterAddress,
    OnionError,
    PublicationTimeout,
)
from onion.keys import write_private_file
from onion.publisher import Onion
from onion.service import DEFAULT_MAX_STREAMS, PowSettings, _bootstrap_phase

OB_CONFIG = "ob_config"
WARNINGS_WAIT = 1.0
"""Seconds allowed for tor's log warnings explaining a refused SETCONF to arrive."""
REFUSAL_END = "Controller gave us config lines that didn't validate"


def master_address(text: str) -> str:
    """The frontend's `xxxx.onion` hostname, checked (base32, version 3, checksum)."""
    name = text.strip().lower().removesuffix(".onion")
    try:
        raw = base64.b32decode(name.upper()) if len(name) == 56 else b""
    except binascii.Error:
        raw = b""
    if len(raw) != 35:
        raise BadMasterAddress(text, "a v3 onion address has 56 letters a-z and digits 2-7")
    public, checksum, version = raw[:32], raw[32:34], raw[34:]
    if version != b"\x03":
        raise BadMasterAddress(text, "it is not a version 3 address")
    if hashlib.sha3_256(b".onion checksum" + public + version).digest()[:2] != checksum:
        raise BadMasterAddress(text, "its checksum is wrong: a character was mistyped")
    return f"{name}.onion"


def prepare_service_dir(service_dir: Path, master: str) -> None:
    """Make the HiddenServiceDir (0700, ours) and write `ob_config` (0600) in it."""
    if service_dir.exists() and not service_dir.is_dir():
        raise BackendDirUnusable(service_dir, "it is not a directory")
    service_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    info = service_dir.stat()
    if info.st_uid != os.geteuid():
        raise BackendDirUnusable(service_dir, f"it belongs to user id {info.st_uid}, "
                                              f"leftbook runs as user id {os.geteuid()}")
    if stat.S_IMODE(info.st_mode) & 0o077:
        raise BackendDirPermissions(service_dir, stat.S_IMODE(info.st_mode))
    write_private_file(service_dir / OB_CONFIG, f"MasterOnionAddress {master}\n")


def backend_options(service_dir: Path, ports: Mapping[int, int | str], *,
                    max_streams: int = DEFAULT_MAX_STREAMS,
                    pow_settings: PowSettings | None = None) -> list[tuple[str, str]]:
    """The HiddenService* lines of one backend service, in the order tor expects."""
    options = [("HiddenServiceDir", str(service_dir))]
    for virtual, target in ports.items():
        where = f"127.0.0.1:{target}" if isinstance(target, int) else target
        options.append(("HiddenServicePort", f"{virtual} {where}"))
    options.append(("HiddenServiceOnionbalanceInstance", "1"))
    if max_streams:
        options += [("HiddenServiceMaxStreams", str(max_streams)),
                    ("HiddenServiceMaxStreamsCloseCircuit", "1")]
    if pow_settings is not None:
        options += [("HiddenServicePoWDefensesEnabled", "1"),
                    ("HiddenServicePoWQueueRate", str(pow_settings.queue_rate)),
                    ("HiddenServicePoWQueueBurst", str(pow_settings.queue_burst))]
    return options


def other_services(controller: stem.control.Controller,
                   service_dir: Path) -> list[tuple[str, str]]:
    """tor's HiddenService* lines, without those of `service_dir`'s service."""
    kept, ours = [], False
    for *_, content in controller.msg("GETCONF HiddenServiceOptions").content():
        key, equals, value = content.partition("=")
        if equals:
            ours = Path(value) == service_dir if key == "HiddenServiceDir" else ours
            if not ours:
                kept.append((key, value))
    return kept


def configure_backend(controller: stem.control.Controller, service_dir: Path,
                      ports: Mapping[int, int | str], master: str, *,
                      max_streams: int = DEFAULT_MAX_STREAMS,
                      pow_settings: PowSettings | None = None,
                      warn: Callable[[str], None] = print) -> str:
    """Configure (or re-configure) the backend service; returns its own service id."""
    master, service_dir = master_address(master), service_dir.resolve()
    tor_user, ours = controller.get_info("process/user", ""), pwd.getpwuid(os.geteuid())[0]
    if tor_user and tor_user != ours:
        raise BackendDirUnusable(service_dir, f"tor runs as user {tor_user}, leftbook as {ours}")
    prepare_service_dir(service_dir, master)
    options = functools.partial(backend_options, service_dir, ports, max_streams=max_streams)
    refusal = _set_service(controller, service_dir, options(pow_settings=pow_settings))
    if refusal and pow_settings is not None and "pow" in refusal.lower():
        warn(f"tor refused the proof-of-work defence ({refusal}); publishing the backend "
             "without it. Upgrade to tor 0.4.8 or newer built with the pow module.")
        refusal = _set_service(controller, service_dir, options(pow_settings=None))
    if refusal and ("director" in refusal.lower() or "permission" in refusal.lower()):
        raise BackendDirUnusable(service_dir, refusal)
    if refusal:
        raise BackendRejected(refusal)
    return _read_hostname(service_dir / "hostname").removesuffix(".onion")


def remove_backend(controller: stem.control.Controller, service_dir: Path) -> None:
    """Withdraw the backend service; other services of that tor stay."""
    kept = other_services(controller, service_dir)
    if kept:
        controller.set_options(kept)
    else:
        controller.reset_conf("HiddenServiceDir")


def _set_service(controller: stem.control.Controller, service_dir: Path,
                 options: list[tuple[str, str]]) -> str:
    """SETCONF the other services plus ours; '' when accepted, else tor's reasons."""
    warnings: list[str] = []
    explained = threading.Event()

    def on_warning(event: stem.response.events.LogEvent) -> None:
        if REFUSAL_END in event.message:
            explained.set()
        else:
            warnings.append(event.message.rstrip("."))

    controller.add_event_listener(on_warning, stem.control.EventType.WARN)
    try:
        controller.set_options(other_services(controller, service_dir) + options)
        return ""
    except stem.InvalidRequest as exc:
        explained.wait(WARNINGS_WAIT)
        return "; ".join(dict.fromkeys(warnings)) or str(exc)
    finally:
        controller.remove_event_listener(on_warning)


def _read_hostname(path: Path) -> str:
    """The `hostname` file tor writes while it accepts the SETCONF."""
    try:
        return path.read_text(encoding="ascii").strip()
    except OSError as exc:
        raise BackendRejected(f"tor wrote no readable {path} ({exc.strerror})") from exc


class BackendOnion(Onion):
    """An Onion publishing an Onionbalance backend instead of an ephemeral service.

    tor keeps a SETCONF'd service when the control connection closes, so the upload wait
    does not hold the lock (close() may withdraw it meanwhile) and close() runs at exit.
    """

    service_dir: Path | None = None

    def publish_backend(
        self, ports: Mapping[int, int | str], service_dir: Path, master: str, *,
        pow_settings: PowSettings | None = PowSettings(),  # noqa: B008 - frozen
        max_streams: int = DEFAULT_MAX_STREAMS, timeout: float | None = 120.0,
        progress: Callable[[str], None] | None = None,
    ) -> str:
        """Publish `ports` as a backend of `master` from `service_dir`; wait at most
        `timeout` s for the descriptor upload (None: do not wait). Returns the backend's
        own `.onion` hostname (for the frontend's config; clients use `master`)."""
        master, service_dir = master_address(master), service_dir.resolve()
        configure = functools.partial(
            configure_backend, service_dir=service_dir, ports=dict(ports), master=master,
            max_streams=max_streams, pow_settings=pow_settings, warn=self.log)
        uploaded: set[str] = set()

        def on_descriptor(event: stem.response.events.HSDescEvent) -> None:
            if event.action == stem.HSDescAction.UPLOADED:
                uploaded.add(event.address)

        with self._lock:
            self.remove()
            controller = self.connect()
            controller.add_event_listener(on_descriptor, stem.control.EventType.HS_DESC)
        try:
            with self._lock:
                self.service_dir, service_id = service_dir, configure(controller)
                self.service_id, self._republish = service_id, configure
            atexit.register(self.close)
            if timeout is not None:
                self._wait_for_upload(controller, service_id, uploaded, timeout,
                                      progress or self.log)
        finally:
            if controller.is_alive():
                controller.remove_event_listener(on_descriptor)
        return f"{service_id}.onion"

    def _wait_for_upload(self, controller: stem.control.Controller, service_id: str,
                         uploaded: set[str], timeout: float,
                         progress: Callable[[str], None]) -> None:
        deadline, last_phase = time.monotonic() + timeout, ""
        while service_id not in uploaded:
            if self.service_id != service_id or not controller.is_alive():
                raise OnionError(f"{service_id}.onion was withdrawn before tor published it")
            if time.monotonic() > deadline:
                self.remove()
                raise PublicationTimeout(f"{service_id}.onion", timeout)
            phase = _bootstrap_phase(controller)
            if phase != last_phase:
                progress(f"waiting for tor to publish the backend {service_id}.onion: {phase}")
                last_phase = phase
            time.sleep(0.25)

    def is_published(self) -> bool:
        """Whether tor's configuration holds our backend service."""
        with self._lock:
            controller = self.controller
            if self.service_id is None or controller is None or not controller.is_alive():
                return False
            try:
                listed = controller.msg("GETCONF HiddenServiceOptions").content()
            except stem.ControllerError:
                return False
            return f"HiddenServiceDir={self.service_dir}" in [line for *_, line in listed]

    def remove(self) -> None:
        """Withdraw the backend service (the connection stays open)."""
        with self._lock:
            self._republish = None
            controller = self.controller
            if self.service_id and controller is not None and controller.is_alive():
                try:
                    remove_backend(controller, self.service_dir)
                except stem.ControllerError as exc:
                    self.log(f"warning: could not withdraw the backend service ({exc})")
            self.service_id = None

    def close(self) -> None:
        atexit.unregister(self.close)
        super().close()

    def _open(self) -> stem.control.Controller:
        controller = super()._open()
        controller.add_event_listener(self._on_signal, stem.control.EventType.SIGNAL)
        return controller

    def _on_signal(self, event: stem.response.events.SignalEvent) -> None:
        """A reload (SIGHUP) makes tor forget SETCONF'd services: configure ours again."""
        if event.signal == stem.Signal.RELOAD and self._republish is not None:
            threading.Thread(target=self._configure_again, name="onion-backend-reload",
                             daemon=True).start()

    def _configure_again(self) -> None:
        with self._lock:
            if self._republish is None or self.controller is None:
                return
            try:
                self.service_id = self._republish(self.controller)
            except (OnionError, stem.ControllerError) as exc:
                self.log(f"tor reloaded its configuration; the backend is not published: {exc}")
                return
            self.log(f"re-published {self.address} after tor reloaded its configuration")
