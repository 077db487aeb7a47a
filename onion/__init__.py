"""Publishing a local web server as a Tor v3 onion service (no Flask here)."""

from onion.balance import BackendOnion, master_address
from onion.control import MINIMUM_TOR, SYSTEM_CONTROLS, parse_mode
from onion.errors import (
    AddressInUse,
    AuthFailed,
    BackendDirPermissions,
    BackendDirUnusable,
    BackendRejected,
    BadMasterAddress,
    BadTorMode,
    CannotConnect,
    KeyFileError,
    KeyFileInvalid,
    KeyFilePermissions,
    KeyFileUnreadable,
    OnionError,
    PublicationTimeout,
    ServiceRejected,
    TorLaunchFailed,
    TorNotFound,
    TorTooOld,
)
from onion.keys import ClientKeyPair, address_of_key_file, new_client_keypair
from onion.publisher import Onion
from onion.service import DEFAULT_MAX_STREAMS, PowSettings

__all__ = [
    "DEFAULT_MAX_STREAMS",
    "MINIMUM_TOR",
    "SYSTEM_CONTROLS",
    "AddressInUse",
    "AuthFailed",
    "BackendDirPermissions",
    "BackendDirUnusable",
    "BackendOnion",
    "BackendRejected",
    "BadMasterAddress",
    "BadTorMode",
    "CannotConnect",
    "ClientKeyPair",
    "KeyFileError",
    "KeyFileInvalid",
    "KeyFilePermissions",
    "KeyFileUnreadable",
    "Onion",
    "OnionError",
    "PowSettings",
    "PublicationTimeout",
    "ServiceRejected",
    "TorLaunchFailed",
    "TorNotFound",
    "TorTooOld",
    "address_of_key_file",
    "master_address",
    "new_client_keypair",
    "parse_mode",
]
