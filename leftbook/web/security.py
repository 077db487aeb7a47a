"""Strict response headers and the Host check, in one place for every response."""

import re
from collections.abc import Callable, Iterable

from flask import Flask, Response

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self'",
        "style-src 'self'",
        "script-src 'none'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


_HEADER_LIST = list(SECURITY_HEADERS.items())


HOST_WITH_PORT = re.compile(r"^(\[[0-9a-f:]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$")


def host_allowed(host: str, onion_host: str | None) -> bool:
    """Only loopback names and the site's own onion name (with an optional numeric port)."""
    match = HOST_WITH_PORT.match(host.lower())
    if match is None:
        return False
    name = match.group(1)
    return name in LOOPBACK_HOSTS or (onion_host is not None and name == onion_host.lower())


WRONG_HOST_PAGE = (b"<!doctype html><title>421 Wrong host</title><h1>Wrong host</h1>"
                   b"<p>This site does not answer to that host name.</p>")


class HostGuard:
    """WSGI middleware: a request for any other host is answered 421 before Flask sees it,
    so no malformed name (an empty or over-long label) reaches URL building or routing."""

    def __init__(self, app: Flask, wsgi_app: Callable) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        if host_allowed(host, self.app.config.get("ONION_HOST")):
            return self.wsgi_app(environ, start_response)
        headers = [("Content-Type", "text/html; charset=utf-8"),
                   ("Content-Length", str(len(WRONG_HOST_PAGE))),
                   *SECURITY_HEADERS.items()]
        start_response("421 Misdirected Request", headers)
        return [WRONG_HOST_PAGE]


def init_app(app: Flask) -> None:
    app.wsgi_app = HostGuard(app, app.wsgi_app)

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.extend(_HEADER_LIST)  # no view sets these: add, not replace
        response.headers.pop("Server", None)
        return response
