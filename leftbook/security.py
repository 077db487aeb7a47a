"""Strict response headers and the Host check, in one place for every response."""

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


def host_allowed(host: str, onion_host: str | None) -> bool:
    """Only loopback names and the site's own onion name are answered."""
    name = host.lower()
    if name.startswith("["):
        name = name.split("]")[0] + "]"
    else:
        name = name.rsplit(":", 1)[0] if name.count(":") == 1 else name
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
