"""Where the site can be reached, for links the operator hands out (janitor links): its onion
name when it has one, else the loopback address `leftbook serve` last bound."""

import contextlib
import os
from pathlib import Path

from leftbook.serving.publishing import onion_address
from leftbook.settings import Settings

SERVING_FILE = "serving"  # in the data dir: the base URL of the running `leftbook serve`


def record_serving(data_dir: Path, base_url: str) -> None:
    """Remember where `leftbook serve` listens (0600; replaced atomically)."""
    path = data_dir / SERVING_FILE
    temporary = path.with_name(f".{SERVING_FILE}.{os.getpid()}")
    temporary.write_text(base_url + "\n")
    temporary.chmod(0o600)
    temporary.replace(path)


def forget_serving(data_dir: Path, base_url: str) -> None:
    """Forget the address when this instance stops (unless another one wrote its own)."""
    path = data_dir / SERVING_FILE
    with contextlib.suppress(OSError):
        if path.read_text().strip() == base_url:
            path.unlink()


def site_url(settings: Settings) -> tuple[str, bool]:
    """(base URL, whether it is certain): the onion name (configured, an Onionbalance
    frontend, or from the service key), else where `serve` runs now, else the default."""
    onion = settings.onion_host or settings.onionbalance_master or onion_address(
        settings.data_dir)
    if onion:
        return f"http://{onion}", True
    with contextlib.suppress(OSError):
        recorded = (settings.data_dir / SERVING_FILE).read_text().strip()
        if recorded.startswith("http://"):
            return recorded, True
    return "http://127.0.0.1:8080", False
