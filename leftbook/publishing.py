"""Glue between `leftbook serve` and the onion package: publish the site, or say why not."""

from __future__ import annotations

import base64
import pathlib
from collections.abc import Callable
from dataclasses import dataclass

from onion import (
    CannotConnect,
    ClientKeyPair,
    KeyFileInvalid,
    Onion,
    TorLaunchFailed,
    TorNotFound,
    address_of_key_file,
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
PUBLISH_TIMEOUT = 180.0
"""Seconds to wait for the first descriptor upload, bootstrap of a launched tor included."""


@dataclass
class PublishedSite:
    """The running onion service; `close()` withdraws it and stops a tor we launched."""

    address: str
    onion: Onion
    client_auth_line: str | None = None

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
    on_address: Callable[[str], None] = _ignore,
    log: Callable[[str], None] = print,
) -> PublishedSite | None:
    """Publish 127.0.0.1:`port` as port 80 of the site's onion service.

    Returns None when `mode` is "off", or "auto" finds no tor to use (after saying so).
    Other failures raise an onion.OnionError whose message tells the operator what to do.
    """
    kind = parse_mode(mode).kind
    if kind == "off":
        log(f"LEFTBOOK_TOR=off: no onion service; serving on http://127.0.0.1:{port}/ only.")
        return None
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    key_file = data_dir / KEY_FILE
    address = service_id(load_or_create_service_key(key_file)) + ".onion"
    on_address(address)
    client = _client_keypair(data_dir / CLIENT_AUTH_FILE) if client_auth else None
    onion = Onion(mode, password=password, tor_data_dir=data_dir / TOR_DATA_DIR, log=log)
    try:
        onion.publish(
            {80: port}, key_file, client_keys=[client.public] if client else [],
            timeout=PUBLISH_TIMEOUT, progress=log,
        )
    except (TorNotFound, CannotConnect, TorLaunchFailed) as exc:
        onion.close()
        if kind != "auto":
            raise
        log(_loopback_only_notice(port, exc))
        return None
    except BaseException:
        onion.close()
        raise
    onion.watch()
    log(f"onion service published: http://{address}/")
    line = client.auth_private_line(address) if client else None
    if line:
        log(
            "client authorisation is on: only Tor Browsers holding this key can open the "
            f"site. Give members this private key: {client.private}  (for a tor client's "
            f"ClientOnionAuthDir, a file NAME.auth_private containing: {line})"
        )
    return PublishedSite(address, onion, line)


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
