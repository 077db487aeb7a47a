"""Leftbook: an anonymous imageboard published as a Tor v3 onion service."""

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Flask

from leftbook import database, datadir, web
from leftbook.boards import Board, load_boards
from leftbook.database import schema
from leftbook.media.pool import shared_pool
from leftbook.media.store import FileStore
from leftbook.resources import shipped_dir
from leftbook.settings import PREFIX, load_settings

REQUEST_OVERHEAD = 256 * 1024  # form fields and multipart framing beside the files


def request_cap(boards: Iterable[Board]) -> int:
    """The hard cap on a request body: what a board's post may carry together, and at least
    twice the largest file a board takes, so that a file somewhat over a board's limit is
    still read and refused with a page stating the limit (a connection cut mid-upload shows
    the browser's reset page, not ours)."""
    return max(max(2 * b.largest_file, b.post_bytes) for b in boards) + REQUEST_OVERHEAD


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from config.toml and the environment; `test_config` wins (its
    `LEFTBOOK_*` keys are settings, checked like any other; the rest is Flask config)."""
    test_config = dict(test_config or {})
    settings = load_settings(test_config)
    data_dir = datadir.ensure_private_dir(settings.data_dir)
    secrets = datadir.load_secrets(data_dir)
    app = Flask(__name__, instance_path=str(data_dir),
                template_folder=str(shipped_dir("templates")),
                static_folder=str(shipped_dir("static")))
    app.config.from_mapping(
        SECRET_KEY=secrets.secret_key,
        SESSION_COOKIE_NAME="session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=False,
        WTF_CSRF_TIME_LIMIT=None,
        SETTINGS=settings,
        SECRETS=secrets,
        ONION_HOST=settings.onion_host,
        BOARDS=load_boards(settings.boards_dir),
        STORE=FileStore(data_dir / "files"),
    )
    app.config.update({k: v for k, v in test_config.items() if not k.startswith(PREFIX)})
    # uploads are cleaned in worker processes: one pool a process, started on first use
    app.config.setdefault("MEDIA_WORKERS", shared_pool())
    datadir.check_secrets(app.config)
    app.config["MAX_CONTENT_LENGTH"] = request_cap(app.config["BOARDS"].values())
    app.json.sort_keys = False
    database.bind(settings.database_url)
    with database.database.connection_context():
        schema.upgrade()
    web.init_app(app)
    return app
