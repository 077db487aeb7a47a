"""Glue between `leftbook serve` and the onion package: publish the site, or say why not."""

from __future__ import annotations

import base64
import functools
import pathlib
from collections.abc import Callable
from dataclasses import dataclass

from onion import (
    BackendOnion,
    CannotConnect,
    ClientKeyPair,
    KeyFileInvalid,
    Onion,
    OnionError,
    PowSettings,
    TorLaunchFailed,
    TorNotFound,
    address_of_key_file,
    master_address,
    new_client_keypair,
    parse_mode,
)
from onion.keys import (
    load_or_create_service_key,
    read_private_file,
    service_id,
    write_private_file,
)
from onion.x25519 import public_key

KEY_FILE = "onion_key"
CLIENT_AUTH_FILE = "onion_client_auth"
TOR_DATA_DIR = "tor"
BACKEND_DIR = "onionbalance-{port}"
"""Per-instance directory of an Onionbalance backend: `service` (tor's HiddenServiceDir)
and `tor` (a launched tor's DataDirectory); instances may share one data dir."""
PUBLISH_TIMEOUT = 180.0
"""Seconds to wait for the first descriptor upload, bootstrap of a launched tor included."""
SITE_POW = PowSettings(queue_rate=25, queue_burst=250)
"""Tor's proof-of-work queue for this site: rendezvous circuits (new visitors, or new
circuits of old ones) handled per second, and at once after a quiet spell. A first visit
costs a page and a few dozen thumbnails; at the 150-250 requests/s leftbook serves on two
vCPUs that is some 10-25 first visits a second, so admitting more circuits than 25/s only
lets a flood in for free: beyond it tor queues introductions and raises the puzzle effort
it asks for. 250 (ten seconds' worth) lets a sudden crowd in without puzzles. tor's own
defaults (250/s, 2500) suit a far bigger service, and the tor beside leftbook shares its
CPU. See docs/onion.md."""
SITE_MAX_STREAMS = 20
"""Streams (connections) open at once per rendezvous circuit; a circuit asking for more is
closed. A browser keeps about six connections to one site (Firefox's per-server limit), so
20 leaves room; an attacker needs 50 circuits, each introduced through the PoW queue, to
fill the server's 1000-connection budget, and with circuits like its readers' about 100 to
crowd them out (channels.Limits)."""


@dataclass
class PublishedSite:
    """The running onion service; `close()` withdraws it and stops a tor we launched."""

    address: str
    onion: Onion
    client_auth_line: str | None = None
    backend_address: str | None = None
    """An Onionbalance backend's own address; `address` is then the frontend's."""

    def close(self) -> None:
        self.onion.close()


def _ignore(_address: str) -> None:
    """Default `on_address`: nobody needs to know."""


def onion_address(data_dir: pathlib.Path) -> str | None:
    """The site's `.onion` hostname from the saved key, without starting anything."""
    return address_of_key_file(data_dir / KEY_FILE)


def publish_site(
    data_dir: pathlib.Path,
    mode: str,
    port: int,
    *,
    password: str | None = None,
    client_auth: bool = False,
    onionbalance_master: str | None = None,
    on_address: Callable[[str], None] = _ignore,
    log: Callable[[str], None] = print,
) -> PublishedSite | None:
    """Publish 127.0.0.1:`port` as port 80 of the site's onion service, or, when
    `onionbalance_master` is given, as an Onionbalance backend of that frontend address
    (`on_address` then receives the frontend's address: visitors' requests carry it).

    Returns None when `mode` is "off", or "auto" finds no tor to use (after saying so).
    Other failures raise an onion.OnionError whose message tells the operator what to do.
    """
    kind = parse_mode(mode).kind
    if kind == "off":
        log(f"LEFTBOOK_TOR=off: no onion service; serving on http://127.0.0.1:{port}/ only.")
        return None
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if onionbalance_master:
        return _publish_backend(data_dir, mode, port, onionbalance_master, password=password,
                                client_auth=client_auth, on_address=on_address, log=log)
    key_file = data_dir / KEY_FILE
    address = service_id(load_or_create_service_key(key_file)) + ".onion"
    on_address(address)
    client = _client_keypair(data_dir / CLIENT_AUTH_FILE) if client_auth else None
    onion = Onion(mode, password=password, tor_data_dir=data_dir / TOR_DATA_DIR, log=log)
    publish = functools.partial(
        onion.publish, {80: port}, key_file, client_keys=[client.public] if client else [],
        pow_settings=SITE_POW, max_streams=SITE_MAX_STREAMS, timeout=PUBLISH_TIMEOUT,
        progress=log,
    )
    if _run_or_give_up(onion, publish, port, log) is None:
        return None
    log(f"onion service published: http://{address}/")
    line = client.auth_private_line(address) if client else None
    if line:
        log(
            "client authorisation is on: only Tor Browsers holding this key can open the "
            f"site. Give members this private key: {client.private}  (for a tor client's "
            f"ClientOnionAuthDir, a file NAME.auth_private containing: {line})"
        )
    return PublishedSite(address, onion, line)


def _publish_backend(
    data_dir: pathlib.Path, mode: str, port: int, master_text: str, *, password: str | None,
    client_auth: bool, on_address: Callable[[str], None], log: Callable[[str], None],
) -> PublishedSite | None:
    if client_auth:
        raise OnionError(
            "Client authorisation cannot be used with LEFTBOOK_ONIONBALANCE_MASTER: "
            "Onionbalance does not carry it into the frontend's descriptor. Turn one off."
        )
    master = master_address(master_text)
    on_address(master)
    instance_dir = data_dir / BACKEND_DIR.format(port=port)
    onion = BackendOnion(mode, password=password, tor_data_dir=instance_dir / TOR_DATA_DIR,
                         log=log)
    publish = functools.partial(onion.publish_backend, {80: port}, instance_dir / "service",
                                master, pow_settings=SITE_POW, max_streams=SITE_MAX_STREAMS,
                                timeout=PUBLISH_TIMEOUT, progress=log)
    backend = _run_or_give_up(onion, publish, port, log)
    if backend is None:
        return None
    log(f"Onionbalance backend published: {backend} (list it under the frontend's "
        f"instances); visitors use http://{master}/")
    return PublishedSite(master, onion, backend_address=backend)


def _run_or_give_up(onion: Onion, publish: Callable[[], str], port: int,
                    log: Callable[[str], None]) -> str | None:
    """`publish()`, then keep it published; None when an `auto` tor is not to be found."""
    try:
        published = publish()
    except (TorNotFound, CannotConnect, TorLaunchFailed) as exc:
        onion.close()
        if onion.mode.kind != "auto":
            raise
        log(_loopback_only_notice(port, exc))
        return None
    except BaseException:
        onion.close()
        raise
    onion.watch()
    return published


def _client_keypair(path: pathlib.Path) -> ClientKeyPair:
    """The site's client-auth key pair, kept (0600) so members' keys survive restarts."""
    if not path.exists():
        pair = new_client_keypair()
        write_private_file(path, f"x25519:{pair.private}\n")
        return pair
    kind, _, private = read_private_file(path).strip().partition(":")
    try:
        secret = base64.b32decode(private + "=" * (-len(private) % 8))
    except ValueError as exc:
        raise KeyFileInvalid(path, "the private key is not base32") from exc
    if kind != "x25519" or len(secret) != 32:
        raise KeyFileInvalid(path, "expected one line x25519:<52 base32 characters>")
    public = base64.b32encode(public_key(secret)).decode("ascii").rstrip("=")
    return ClientKeyPair(public=public, private=private)


def _loopback_only_notice(port: int, reason: Exception) -> str:
    return (
        "\n*** NO ONION SERVICE ***\n"
        f"Leftbook found no tor to publish the site with ({reason})\n"
        f"The site is served on http://127.0.0.1:{port}/ only, which nobody else can "
        "reach. To publish it over Tor, install tor (`sudo apt-get install tor` on "
        "Debian/Ubuntu) and start leftbook again; to run without Tor on purpose, set "
        "LEFTBOOK_TOR=off.\n"
    )
