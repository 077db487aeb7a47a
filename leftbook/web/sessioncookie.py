"""Flask's signed-cookie session, made cheap for the many requests that carry none.

Flask builds its signer (and test-serialises an empty dict) on every request, cookie or
not; most requests here are readers who never got a session cookie (shared pages need
none), so the signer is made once and a request without the cookie gets an empty session
at once.
"""

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

SIGNER = "leftbook_session_signer"


class LazySessionInterface(SecureCookieSessionInterface):
    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        cached = app.extensions.get(SIGNER)
        if cached is None or cached[0] != app.secret_key:
            cached = (app.secret_key, super().get_signing_serializer(app))
            app.extensions[SIGNER] = cached
        return cached[1]

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    app.session_interface = LazySessionInterface()
