"""Forged cross-site requests are stopped by a SameSite=Strict cookie, not by a token in
the page, so that board pages can be one set of bytes for every reader (and compressed).

A browser sends a SameSite=Strict cookie only with requests that a page of this very site
made: a form on another site posting here, a link or an image there, arrive without it.
So a reader's form post must carry the site's signed `form` cookie (HttpOnly, Strict),
given with any page that has a reader's form. As a second fence, a request a browser marks
as coming from elsewhere (`Sec-Fetch-Site`, or an `Origin` that names another site) is
refused even with the cookie. docs/security.md gives the full reasoning.

The `csrf_token` field stays in the forms, with a value that is the same for everyone and
no secret, for clients that read it from the page and send it back; it is not checked.
Janitor forms (pages only a janitor sees, never shared) keep flask-wtf's session token.
"""

import hashlib
import hmac
import secrets
from functools import lru_cache

from flask import Flask, Response, request

from leftbook.refusal import Refusal
from leftbook.web.cookies import FORM_COOKIE, cookie_options
from leftbook.web.site import secrets as site_secrets

PUBLIC_FORM_TOKEN = "same-site-cookie"  # noqa: S105 (not a secret: the same on every page)
READER_FORMS = frozenset({"posting.create", "posting.delete", "reports.report",
                          "captcha.solve", "reader.watch"})
FORM_PAGES = frozenset({"boards.index", "boards.catalog", "boards.thread",
                        "reports.report_page", "reader.watched_page"})
FORM_COOKIE_SECONDS = 365 * 86400
ALLOWED_FETCH_SITES = frozenset({"same-origin"})
REFUSED = ("The security check against forged requests (CSRF) failed: {why}. Reload the "
           "page and submit the form again.")


def _mac(key: bytes, nonce: str) -> str:
    return hmac.new(key, b"leftbook form cookie\0" + nonce.encode(),
                    hashlib.sha256).hexdigest()[:32]


def new_form_cookie(key: bytes) -> str:
    nonce = secrets.token_urlsafe(16)
    return f"{nonce}.{_mac(key, nonce)}"


def valid_form_cookie(key: bytes, value: str | None) -> bool:
    return bool(value) and len(value) <= 128 and _valid(key, value)


@lru_cache(maxsize=4096)  # a reader's every request checks the same cookie
def _valid(key: bytes, value: str) -> bool:
    nonce, _, mac = value.partition(".")
    return bool(nonce) and hmac.compare_digest(mac, _mac(key, nonce))


def _host_origins() -> tuple[str, ...]:
    host = request.host
    return (f"http://{host}", f"https://{host}")


def check_same_site() -> None:
    """Refuse (400) a reader's form post that did not come from a page of this site."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ALLOWED_FETCH_SITES:
        raise Refusal(REFUSED.format(why="the form was sent from another site"))
    origin = request.headers.get("Origin")
    if origin not in (None, "null") and origin not in _host_origins():
        raise Refusal(REFUSED.format(why="the form was sent from another site"))
    if not valid_form_cookie(site_secrets().secret_key, request.cookies.get(FORM_COOKIE)):
        raise Refusal(REFUSED.format(
            why="this browser did not send the site's form cookie (cookies must be allowed "
                "for this site)"))


def init_app(app: Flask) -> None:
    @app.before_request
    def _check_reader_forms() -> None:
        if request.method == "POST" and request.endpoint in READER_FORMS:
            check_same_site()

    @app.after_request
    def _give_form_cookie(response: Response) -> Response:
        if request.endpoint in FORM_PAGES or request.endpoint in READER_FORMS:
            key = site_secrets().secret_key
            if not valid_form_cookie(key, request.cookies.get(FORM_COOKIE)):
                response.set_cookie(FORM_COOKIE, new_form_cookie(key),
                                    **cookie_options(FORM_COOKIE_SECONDS))
        return response
