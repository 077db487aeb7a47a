"""Leftbook: an anonymous imageboard published as a Tor v3 onion service."""

from pathlib import Path
from typing import Any

from flask import Flask

from leftbook import boardconf, config, db, security, templating
from leftbook.views import register_blueprints


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app from config.toml, the environment and `test_config` (which wins)."""
    settings = config.load_settings(test_config)
    data_dir = config.ensure_private_dir(Path(settings["LEFTBOOK_DATA_DIR"]))
    app = Flask(__name__, instance_path=str(data_dir), instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY=config.load_secret(data_dir, "secret_key"),
        CAPABILITY_KEY=config.load_secret(data_dir, "capability_key"),
        TRIPCODE_SECRET=config.load_secret(data_dir, "tripcode_secret"),
        SESSION_COOKIE_NAME="session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=False,
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=None,
        FILES_DIR=str(data_dir / "files"),

        JSON_SORT_KEYS=False,
    )
    app.config.update(settings)
    config.check_secrets(app.config)
    app.config["ONION_HOST"] = settings["LEFTBOOK_ONION_HOST"]
    app.config["BOARDS"] = boardconf.load_boards(Path(app.config["LEFTBOOK_BOARDS_DIR"]))
    largest_file = max(b.max_file_bytes for b in app.config["BOARDS"].values())
    app.config["MAX_CONTENT_LENGTH"] = largest_file + 256 * 1024
    app.json.sort_keys = False
    security.init_app(app)
    db.init_app(app)
    templating.init_app(app)
    register_blueprints(app)
    from leftbook import cli

    cli.init_app(app)
    return app
