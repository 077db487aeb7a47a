"""Named failures of the Tor side; each message says what the operator should do."""

from __future__ import annotations


class OnionError(Exception):
    """Base class: publishing the onion service failed."""


class BadTorMode(OnionError):
    def __init__(self, mode: str) -> None:
        super().__init__(
            f"LEFTBOOK_TOR={mode!r} is not understood. Use one of: auto, launch, "
            "control:HOST:PORT, socket:PATH, off."
        )


class TorNotFound(OnionError):
    def __init__(self, tor_cmd: str) -> None:
        super().__init__(
            f"The tor program ({tor_cmd}) was not found. Install it with "
            "`apt-get install tor` (Debian/Ubuntu), or set LEFTBOOK_TOR=off to serve "
            "on loopback only."
        )


class TorLaunchFailed(OnionError):
    def __init__(self, reason: str) -> None:
        super().__init__(
            f"Could not start tor: {reason}. Check that the data directory is writable "
            "and not used by another tor, or point LEFTBOOK_TOR at a running tor "
            "(control:HOST:PORT or socket:PATH)."
        )


class CannotConnect(OnionError):
    def __init__(self, where: str, reason: str) -> None:
        self.reason = reason
        super().__init__(
            f"Cannot reach tor's control interface at {where}: {reason}. Start tor with "
            "`ControlPort 9051` or `ControlSocket /run/tor/control` in its torrc, or set "
            "LEFTBOOK_TOR=launch to let leftbook start its own tor."
        )


class AuthFailed(OnionError):
    def __init__(self, where: str, reason: str) -> None:
        self.reason = f"refused authentication ({reason})"
        super().__init__(
            f"tor at {where} refused authentication: {reason}. Set LEFTBOOK_TOR_PASSWORD "
            "to the password behind tor's HashedControlPassword, or let this user read "
            "tor's cookie file (on Debian: add it to the debian-tor group)."
        )


class TorTooOld(OnionError):
    def __init__(self, version: str, minimum: str) -> None:
        super().__init__(
            f"tor {version} is too old; leftbook needs tor {minimum} or newer for v3 "
            "onion services. Upgrade tor (Debian backports or deb.torproject.org)."
        )


class PublicationTimeout(OnionError):
    def __init__(self, address: str, seconds: float) -> None:
        super().__init__(
            f"{address} was not published within {seconds:g} s, so it was removed again. "
            "Check that tor can reach the Tor network (clock set correctly, no firewall "
            "blocking outgoing connections, bridges configured where Tor is censored), "
            "then start again."
        )


class AddressInUse(OnionError):
    def __init__(self, address: str) -> None:
        super().__init__(
            f"{address} is already being published by another program on this tor. "
            "Stop the other leftbook (or tor service using the same key), or use a "
            "different data directory."
        )


class KeyFileError(OnionError):
    """The onion key file cannot be used."""


class KeyFileUnreadable(KeyFileError):
    def __init__(self, path: object, reason: str) -> None:
        super().__init__(
            f"Cannot read the onion key file {path}: {reason}. Run leftbook as the user "
            "that owns the data directory."
        )


class KeyFilePermissions(KeyFileError):
    def __init__(self, path: object, mode: int) -> None:
        super().__init__(
            f"The onion key file {path} has mode {mode:o}: other users can read the key "
            f"that proves the site's identity. Run `chmod 600 {path}`; if anyone else may "
            "have copied it, delete it to get a new address."
        )


class KeyFileInvalid(KeyFileError):
    def __init__(self, path: object, reason: str) -> None:
        super().__init__(
            f"The key file {path} is not usable ({reason}). Restore it from a backup, or "
            "delete it to make a new one (a new onion_key means a new onion address)."
        )


class ServiceRejected(OnionError):
    def __init__(self, reason: str) -> None:
        super().__init__(
            f"tor refused to publish the onion service: {reason}. Check the tor log and "
            "the options given to leftbook."
        )


class BadMasterAddress(OnionError):
    def __init__(self, text: str, reason: str) -> None:
        super().__init__(
            f"LEFTBOOK_ONIONBALANCE_MASTER={text!r} is not a usable frontend address "
            f"({reason}). Give the address Onionbalance publishes (56 characters, then "
            ".onion), without http:// or a path."
        )


class BackendDirUnusable(OnionError):
    def __init__(self, path: object, reason: str) -> None:
        super().__init__(
            f"tor cannot use {path} as this backend's HiddenServiceDir: {reason}. Let "
            "leftbook start its own tor (LEFTBOOK_TOR=launch) or use a tor running as the "
            "same user; Debian's system tor (user debian-tor, confined by AppArmor to "
            "/var/lib/tor) cannot use a directory inside leftbook's data dir."
        )


class BackendDirPermissions(BackendDirUnusable):
    def __init__(self, path: object, mode: int) -> None:
        OnionError.__init__(
            self, f"The backend's HiddenServiceDir {path} has mode {mode:o}: other users can "
            f"read its key. Run `chmod 700 {path}`; if anyone else may have copied it, delete "
            "the directory (tor makes a new backend address; put it in the frontend's config).")


class BackendRejected(ServiceRejected):
    def __init__(self, reason: str) -> None:
        OnionError.__init__(
            self, f"tor refused the Onionbalance backend options: {reason}. Check the tor "
            "log; HiddenServiceOnionbalanceInstance needs tor 0.4.3 or newer.")
