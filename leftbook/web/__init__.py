"""Everything that knows HTTP: views, security headers, errors, conditional answers,
the page cache, forms and template helpers. `init_app` wires it into a Flask app."""

from flask import Flask, request

from leftbook.database import database
from leftbook.web import assets, errors, fragments, gate, security, templating
from leftbook.web.views import register_blueprints


def _per_request_connection(app: Flask) -> None:
    """One database connection per request (static files need none)."""

    @app.before_request
    def _connect() -> None:
        if request.endpoint != "static":
            database.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(_exc: BaseException | None) -> None:
        if not database.is_closed():
            database.close()


def init_app(app: Flask) -> None:
    security.init_app(app)
    _per_request_connection(app)
    templating.init_app(app)
    assets.init_app(app)
    errors.init_app(app)
    gate.init_app(app)
    fragments.init_app(app)
    register_blueprints(app)
