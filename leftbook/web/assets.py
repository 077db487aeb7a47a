"""Static files under versioned URLs (`/static/style.css?v=<digest>`), so that a page can let
browsers keep them for a year: over Tor every revalidation is a round trip a reader waits for."""

import hashlib
from pathlib import Path

from flask import Flask, Response, current_app, request, url_for

YEAR = 365 * 86400
UNVERSIONED_MAX_AGE = 3600


def digests(folder: Path) -> dict[str, str]:
    """A short content digest per static file name."""
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest()[:12]
            for path in sorted(folder.iterdir()) if path.is_file()}


def asset(name: str) -> str:
    """The versioned URL of static file `name`."""
    versions = current_app.extensions["leftbook_assets"]
    return url_for("static", filename=name, v=versions.get(name, ""))


def init_app(app: Flask) -> None:
    versions = digests(Path(app.static_folder or "static"))
    app.extensions["leftbook_assets"] = versions
    app.jinja_env.globals["asset"] = asset

    @app.after_request
    def _cache_static(response: Response) -> Response:
        if request.endpoint == "static" and response.status_code in (200, 304):
            name = (request.view_args or {}).get("filename", "")
            fresh = request.args.get("v") == versions.get(name)
            response.headers["Cache-Control"] = (
                f"public, max-age={YEAR}, immutable" if fresh
                else f"public, max-age={UNVERSIONED_MAX_AGE}")
        return response
