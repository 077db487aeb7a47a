"""The Onion object: connect to tor, publish one v3 service, keep it published."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import stem
import stem.control

from onion import control
from onion.control import TorMode, open_controller, parse_mode
from onion.errors import AuthFailed, CannotConnect, OnionError
from onion.keys import load_or_create_service_key, service_id
from onion.launch import LaunchedTor, launch_tor
from onion.service import (
    DEFAULT_MAX_STREAMS,
    PowSettings,
    add_service,
    publish_and_wait,
    remove_quietly,
)


class Onion:
    """A connection to tor (found, given or launched) publishing one onion service."""

    def __init__(
        self,
        mode: str = "auto",
        *,
        password: str | None = None,
        tor_cmd: str = "tor",
        tor_data_dir: Path | None = None,
        tor_config: dict[str, str] | None = None,
        launch_timeout: float = 30.0,
        log: Callable[[str], None] = print,
    ) -> None:
        self.mode = parse_mode(mode)
        if self.mode.kind == "off":
            raise ValueError("LEFTBOOK_TOR=off: there is no tor to connect to")
        self.password = password
        self.tor_cmd, self.tor_data_dir, self.tor_config = tor_cmd, tor_data_dir, tor_config
        self.launch_timeout = launch_timeout
        self.log = log
        self.controller: stem.control.Controller | None = None
        self.launched: LaunchedTor | None = None
        self.service_id: str | None = None
        self._republish: Callable[[stem.control.Controller], str] | None = None
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    @property
    def address(self) -> str | None:
        return f"{self.service_id}.onion" if self.service_id else None

    def connect(self) -> stem.control.Controller:
        """Connect (or launch tor) unless a live connection exists already."""
        with self._lock:
            if self.controller is None or not self.controller.is_alive():
                self.controller = self._open()
            return self.controller

    def _open(self) -> stem.control.Controller:
        if self.mode.kind in ("control", "socket"):
            return open_controller(self.mode, self.password)
        if self.mode.kind == "auto":
            for candidate in control.SYSTEM_CONTROLS:
                try:
                    controller = open_controller(parse_mode(candidate), self.password)
                except CannotConnect:
                    continue
                except AuthFailed as exc:
                    self.log(f"warning: {exc} Starting a private tor instead.")
                    continue
                self.log(f"using the system tor at {candidate}")
                return controller
        return self._launch()

    def _launch(self) -> stem.control.Controller:
        if self.tor_data_dir is None:
            raise OnionError("launching tor needs a data directory (tor_data_dir)")
        if self.launched is not None:
            self.launched.stop()
        self.launched = launch_tor(
            self.tor_data_dir, tor_cmd=self.tor_cmd, extra_config=self.tor_config,
            timeout=self.launch_timeout,
        )
        self.log(f"started tor (pid {self.launched.process.pid}) in {self.tor_data_dir}")
        try:
            return open_controller(TorMode("control", "127.0.0.1", self.launched.control_port),
                                   None)
        except OnionError:
            self.launched.stop()
            raise

    def publish(
        self,
        ports: Mapping[int, int | str],
        key_file: Path,
        *,
        client_keys: Sequence[str] = (),
        pow_settings: PowSettings | None = PowSettings(),  # noqa: B008 - frozen
        max_streams: int = DEFAULT_MAX_STREAMS,
        timeout: float | None = 120.0,
        progress: Callable[[str], None] | None = None,
    ) -> str:
        """Publish `ports` ({virtual port: local port or "unix:PATH"}) with the key saved
        in `key_file` (made on first use); wait at most `timeout` seconds for the
        descriptor upload (None: do not wait). Replaces a service published before by
        this object. Returns the `.onion` hostname."""
        key_blob = load_or_create_service_key(key_file)
        address = service_id(key_blob) + ".onion"
        add = functools.partial(
            _add_checked, key_blob=key_blob, ports=dict(ports), address=address,
            max_streams=max_streams, pow_settings=pow_settings,
            client_keys=tuple(client_keys), warn=self.log,
        )
        with self._lock:
            self.remove()
            controller = self.connect()
            if timeout is None:
                self.service_id = add(controller)
            else:
                self.service_id = publish_and_wait(
                    controller, functools.partial(add, controller), address, timeout,
                    progress or self.log,
                )
            self._republish = add
        return address

    def is_published(self) -> bool:
        """Whether tor lists our service on the current control connection."""
        with self._lock:
            controller = self.controller
            if self.service_id is None or controller is None or not controller.is_alive():
                return False
            try:
                current = controller.get_info("onions/current", "")
            except stem.ControllerError:
                return False
            return self.service_id in current.split()

    def remove(self) -> None:
        """Withdraw the service (the connection stays open)."""
        with self._lock:
            self._republish = None
            if self.service_id and self.controller is not None and self.controller.is_alive():
                remove_quietly(self.controller, self.service_id)
            self.service_id = None

    def close(self) -> None:
        """Withdraw the service, disconnect, and stop a tor we launched."""
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(self.launch_timeout + 10)
        with self._lock:
            self.remove()
            if self.controller is not None:
                self.controller.close()
            if self.launched is not None:
                self.launched.stop()
                self.launched = None

    def __enter__(self) -> Onion:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def watch(self, interval: float = 1.0, max_backoff: float = 30.0) -> None:
        """Start a thread that reconnects (with back-off) and re-publishes after tor goes away."""
        if self._watcher is None:
            self._watcher = threading.Thread(
                target=self._watch, args=(interval, max_backoff), name="onion-watch",
                daemon=True,
            )
            self._watcher.start()

    def _watch(self, interval: float, max_backoff: float) -> None:
        delay, lost = interval, False
        while not self._stop.wait(delay):
            controller = self.controller
            if controller is not None and controller.is_alive():
                delay = interval
                continue
            if not lost:
                self.log("lost the connection to tor; reconnecting")
                lost = True
            try:
                self._reconnect()
            except (OnionError, stem.ControllerError, OSError) as exc:
                delay = min(delay * 2, max_backoff)
                self.log(f"tor is still unreachable ({exc}); next try in {delay:g} s")
                continue
            lost, delay = False, interval

    def _reconnect(self) -> None:
        with self._lock:
            if self._stop.is_set():
                return
            if self.controller is not None:
                self.controller.close()
            if self.launched is not None and self.launched.process.poll() is not None:
                self.launched = None
            self.controller = self._open()
            if self._republish is not None:
                self.service_id = self._republish(self.controller)
                self.log(f"re-published {self.address}")


def _add_checked(controller: stem.control.Controller, **options: object) -> str:
    """add_service, checking that tor computed the address we derived from the key."""
    published = add_service(controller, **options)  # type: ignore[arg-type]
    if f"{published}.onion" != options["address"]:
        remove_quietly(controller, published)
        raise OnionError(f"tor published {published}.onion, expected {options['address']}")
    return published
