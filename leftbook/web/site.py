"""The running site as views see it: its settings, boards, secrets, file store and media
workers, read from the app (built once by `create_app`), and the domain's policy objects
made from them."""

from collections.abc import Mapping
from typing import Any

from flask import abort, current_app

from leftbook.boards import Board
from leftbook.datadir import Secrets
from leftbook.media.pool import WorkerPool
from leftbook.media.store import FileStore
from leftbook.posting.gate import GatePolicy
from leftbook.posting.posts import PostingSite
from leftbook.settings import Settings


def settings() -> Settings:
    return current_app.config["SETTINGS"]


def secrets() -> Secrets:
    return current_app.config["SECRETS"]


def boards() -> dict[str, Board]:
    return current_app.config["BOARDS"]


def store() -> FileStore:
    return current_app.config["STORE"]


def onion_host() -> str | None:
    """The site's onion name: configured, or learnt when the service was published."""
    return current_app.config.get("ONION_HOST")


def get_board(slug: str) -> Board:
    board = boards().get(slug)
    if board is None:
        abort(404, "There is no such board.")
    return board


def gate_policy(config: Mapping[str, Any] | None = None) -> GatePolicy:
    """The posting gate's policy, from this app's config (or `config`, outside a request)."""
    config = current_app.config if config is None else config
    configured, limits = config["SETTINGS"], config.get("FLOOD_LIMITS")
    return GatePolicy(secret=config["SECRETS"].secret_key, captcha=configured.captcha,
                      flood=configured.flood, **({"limits": limits} if limits else {}))


def media_workers() -> WorkerPool:
    return current_app.config["MEDIA_WORKERS"]


def posting_site() -> PostingSite:
    return PostingSite(tripcode_secret=secrets().tripcode_secret, store=store(),
                       password_key=secrets().secret_key,
                       keep_filenames=settings().keep_filenames, workers=media_workers())
