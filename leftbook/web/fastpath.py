"""Shared pages answered before Flask: a reader with no session asking for a board page
that is in the page cache gets it, or a 304, from one small query and a dictionary.

Flask's own path (shared.py) renders and stores pages; this one only ever serves what it
stored, under the key it stored it with (`shared.page_key`), so both answer alike. Anything
else (a janitor, a session cookie that may hold a message or a captcha challenge, a page
not cached yet, a reader who must be shown a captcha, an error) goes on to Flask.
"""

import re
from collections.abc import Callable, Iterable

from flask import Flask

from leftbook.database import connect_for_request, release_after_request
from leftbook.posting.gate import form_gate, setting_keys
from leftbook.reading import pages
from leftbook.web.cookies import FORM_COOKIE, JANITOR_COOKIE, PASS_COOKIE, cookie_options
from leftbook.web.formcookie import FORM_COOKIE_SECONDS, new_form_cookie, valid_form_cookie
from leftbook.web.reader import OWN_COOKIE, WATCH_COOKIE
from leftbook.web.security import SECURITY_HEADERS
from leftbook.web.shared import BUILD, CACHE, accepts_gzip, answer, held_copy, page_key
from leftbook.web.site import gate_policy

BOARD_PAGE = re.compile(
    r"/(?P<board>[a-z0-9]{1,16})/(?:(?P<thread>res/\d{1,15}\.html)|index\.html|"
    r"catalog\.html|\d{1,15}\.html)?")
SITE_PAGES = frozenset({"/", "/rules.html"})
STATUS = {200: "200 OK", 304: "304 Not Modified"}
SECURITY = list(SECURITY_HEADERS.items())
PERSONAL_COOKIES = frozenset({JANITOR_COOKIE, OWN_COOKIE, WATCH_COOKIE})


def _cookies(header: str) -> dict[str, str]:
    found = {}
    for item in header.split(";"):
        name, _, value = item.strip().partition("=")
        found.setdefault(name, value)
    return found


def _form_cookie_header(key: bytes) -> str:
    options = cookie_options(FORM_COOKIE_SECONDS)
    return (f"{FORM_COOKIE}={new_form_cookie(key)}; Max-Age={options['max_age']}; "
            f"Path={options['path']}; HttpOnly; SameSite={options['samesite']}")


class FastPages:
    """WSGI middleware in front of Flask (behind the Host check)."""

    def __init__(self, app: Flask, wsgi_app: Callable) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        found = None
        if environ.get("REQUEST_METHOD") == "GET":
            try:
                found = self._cached(environ)
            except Exception:  # Flask answers it, and reports what fails
                found = None
        if found is None:
            return self.wsgi_app(environ, start_response)
        status, headers, body = found
        start_response(STATUS[status], [*headers, ("Content-Length", str(len(body))),
                                        *SECURITY])
        return [body]

    def _cached(self, environ: dict) -> tuple[int, list, bytes] | None:
        config, path = self.app.config, environ.get("PATH_INFO", "")
        board, match = None, None
        if path not in SITE_PAGES:
            match = BOARD_PAGE.fullmatch(path)
            board = config["BOARDS"].get(match["board"]) if match else None
            if board is None:
                return None
        if environ.get("QUERY_STRING"):
            return None  # a catalog's order, or anything else: Flask reads it
        cookies = _cookies(environ.get("HTTP_COOKIE", ""))
        if not PERSONAL_COOKIES.isdisjoint(cookies) or config["SESSION_COOKIE_NAME"] in cookies:
            return None  # a janitor, a message, a challenge, this browser's own posts or
            # watched threads: Flask decides
        connect_for_request()
        try:
            version, closed = 0, None
            if board is not None:
                version, found = pages.board_state(board.slug, setting_keys(board.slug))
                gate = form_gate(board, match["thread"] is None, cookies.get(PASS_COOKIE),
                                 gate_policy(config), found)
                if gate.needs_captcha:
                    return None  # a challenge for this reader alone
                closed = gate.closed
                version = pages.listing_version(board, version)
        finally:
            release_after_request()
        key = page_key(config, self.app.extensions[BUILD], path, board, version, closed)
        page = self.app.extensions[CACHE].get(key)
        if page is None:
            return None
        held = held_copy(environ.get("HTTP_IF_NONE_MATCH"), page.etag)
        status, headers, body = answer(None if held else page, page.etag, held, page.seen,
                                       accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING")))
        key_bytes = config["SECRETS"].secret_key
        if board is not None and not valid_form_cookie(key_bytes, cookies.get(FORM_COOKIE)):
            headers.append(("Set-Cookie", _form_cookie_header(key_bytes)))
        return status, headers, body


def init_app(app: Flask) -> None:
    """Call before the Host check wraps the app, so that it stays in front of this."""
    app.wsgi_app = FastPages(app, app.wsgi_app)
