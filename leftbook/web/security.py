"""Strict response headers and the Host check, in one place for every response."""

import re

from flask import Flask, Response, abort, request

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


HOST_WITH_PORT = re.compile(r"^(\[[0-9a-f:]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$")


def host_allowed(host: str, onion_host: str | None) -> bool:
    """Only loopback names and the site's own onion name (with an optional numeric port)."""
    match = HOST_WITH_PORT.match(host.lower())
    if match is None:
        return False
    name = match.group(1)
    return name in LOOPBACK_HOSTS or (onion_host is not None and name == onion_host.lower())


def init_app(app: Flask) -> None:
    @app.before_request
    def _check_host() -> None:
        if not host_allowed(request.host, app.config.get("ONION_HOST")):
            abort(421, "This site does not answer to that host name.")

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.update(SECURITY_HEADERS)
        response.headers.pop("Server", None)
        return response
