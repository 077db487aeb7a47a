"""Everything that knows HTTP: views, security headers, errors, conditional answers,
the page cache, forms and template helpers. `init_app` wires it into a Flask app."""

from flask import Flask, request

from leftbook.database import connect_for_request, release_after_request
from leftbook.web import (
    assets,
    errors,
    fastpath,
    formcookie,
    fragments,
    gate,
    security,
    sessioncookie,
    shared,
    templating,
)
from leftbook.web.views import register_blueprints


def _per_request_connection(app: Flask) -> None:
    """A database connection for every request but static files: kept by the thread on
    SQLite, from the pool on PostgreSQL."""

    @app.before_request
    def _connect() -> None:
        if request.endpoint != "static":
            connect_for_request()

    @app.teardown_request
    def _release(_exc: BaseException | None) -> None:
        release_after_request()


def init_app(app: Flask) -> None:
    fastpath.init_app(app)  # before security: the Host check stays in front of it
    security.init_app(app)
    sessioncookie.init_app(app)
    _per_request_connection(app)
    templating.init_app(app)
    shared.init_app(app)
    formcookie.init_app(app)
    assets.init_app(app)
    errors.init_app(app)
    gate.init_app(app)
    fragments.init_app(app)
    register_blueprints(app)
