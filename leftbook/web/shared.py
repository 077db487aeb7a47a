"""Pages shared by every reader: rendered once per version of what they show, kept as
bytes and gzipped bytes, and revalidated (304) from that version alone.

A page is one set of bytes for every reader unless this reader's copy must differ: a
janitor's (their controls and form token), a message waiting for this browser (after an
action), or a captcha challenge in the post form (one for each browser). Those pages are
rendered for the reader alone, never stored, never compressed. What the browser itself
remembers (its own posts, the threads it watches: reader.py) makes a variant of the page,
kept like the shared one under a key that names it, so it only ever goes to a browser that
remembers the same. Shared pages carry no
secret (forms are guarded by a SameSite cookie, see formcookie.py), so compressing them
cannot leak one. fastpath.py answers most requests for shared pages before Flask.
"""

import hashlib
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from flask import Flask, Response, current_app, g, request, session
from flask_wtf.csrf import generate_csrf
from werkzeug.http import http_date

from leftbook.boards import Board
from leftbook.database import read_snapshot
from leftbook.web import reader
from leftbook.web.cookies import JANITOR_COOKIE
from leftbook.web.formcookie import PUBLIC_FORM_TOKEN
from leftbook.web.gate import page_gate
from leftbook.web.http import conditional, version_seen_at
from leftbook.web.janitor_session import current_grant
from leftbook.web.pagecache import CachedPage, PageCache

CACHE = "leftbook_pages"
BUILD = "leftbook_build"
VARY = "Accept-Encoding, Cookie"
SHARED_CACHE_CONTROL = "no-cache"
Render = Callable[[], str | Response]
Headers = list[tuple[str, str]]


def _janitor_here() -> bool:
    """A janitor sees every page rendered for them alone (their controls post with their
    session's token): janitors are few, readers are many."""
    return JANITOR_COOKIE in request.cookies and current_grant() is not None


def _message_waiting() -> bool:
    cookie = current_app.config["SESSION_COOKIE_NAME"]
    return cookie in request.cookies and bool(session.get("_flashes"))


def reader_only() -> bool:
    """True when this reader's copy of the page must differ from everyone else's."""
    gate = page_gate()
    return (_janitor_here() or _message_waiting()
            or (gate is not None and gate.challenge is not None))


def form_token() -> str:
    """The `csrf_token` a page's forms carry: a janitor's session token on a page rendered
    for them alone (their controls post with it), else the public value."""
    return generate_csrf() if g.get("janitor_page") else PUBLIC_FORM_TOKEN


_fingerprints: dict[int, tuple[Board, str]] = {}


def board_fingerprint(board: Board) -> str:
    """A digest of a board's settings, so that a page made under other settings is not
    taken for this one (boards are loaded once; computed once per Board object)."""
    known = _fingerprints.get(id(board))
    if known is None or known[0] is not board:
        known = (board, hashlib.sha256(repr(board).encode()).hexdigest()[:16])
        _fingerprints[id(board)] = known
    return known[1]


def page_key(config: Mapping[str, Any], build: str, path: str, board: Board | None,
             version: object, closed: str | None, variant: tuple = ()) -> tuple:
    """Everything a shared page is made from: its path (which names the page), its board's
    settings and version, the post form's closed notice, the site's onion name, the
    templates, and the variant (a catalog's order, what the browser remembers). Flask's
    path and fastpath.py (which serves no variant) compute it alike."""
    return (path, board_fingerprint(board) if board else "", version, closed or "",
            config.get("ONION_HOST") or "", build, *variant)


def key_etag(key: tuple) -> str:
    return hashlib.sha256(repr(key).encode()).hexdigest()[:32]


def accepts_gzip(accepted: str | None) -> bool:
    """Whether an Accept-Encoding value names gzip with a weight above 0 (read by hand:
    werkzeug's parser costs as much as the rest of a 304)."""
    if not accepted or "gzip" not in accepted:
        return False
    for item in accepted.split(","):
        coding, _, params = item.partition(";")
        if coding.strip().lower() in ("gzip", "x-gzip"):
            weight = params.replace(" ", "").lower()
            if not weight.startswith("q="):
                return True
            try:
                return float(weight[2:]) > 0
            except ValueError:
                return False
    return False


def held_copy(if_none_match: str | None, etag: str) -> str | None:
    """The validator of the copy the reader holds when it is this page's, else None."""
    if if_none_match is None:
        return None
    for candidate in (etag + "-gz", etag):
        if f'"{candidate}"' in if_none_match:
            return candidate
    return None


@lru_cache(maxsize=256)
def _http_date(timestamp: int) -> str:
    return http_date(timestamp)


def answer(page: CachedPage | None, etag: str, held: str | None, last_modified: int,
           gzipped: bool) -> tuple[int, Headers, bytes]:
    """(status, headers, body) of a shared page: the page, gzipped when taken; without one,
    a 304 (`held`: the validator the reader holds)."""
    headers = [("Vary", VARY), ("Cache-Control", SHARED_CACHE_CONTROL),
               ("Last-Modified", _http_date(last_modified))]
    if page is None:
        return 304, [*headers, ("ETag", f'"{held}"')], b""
    if gzipped:
        return 200, [*headers, ("ETag", f'"{etag}-gz"'), ("Content-Encoding", "gzip"),
                     ("Content-Type", "text/html; charset=utf-8")], page.gzipped
    return 200, [*headers, ("ETag", f'"{etag}"'),
                 ("Content-Type", "text/html; charset=utf-8")], page.body


def _send(page: CachedPage | None, etag: str, held: str | None, last_modified: int) -> Response:
    status, headers, body = answer(page, etag, held, last_modified,
                                   accepts_gzip(request.headers.get("Accept-Encoding")))
    return current_app.response_class(body or None, status=status, headers=headers)


def shared_page(board: Board | None, version: object, render: Render, *,
                variant: tuple = (), scope: str | None = None, share: bool = True) -> Response:
    """The page `render` makes, for the request's path at `version` of `board` (None: a page
    not of one board, `scope` naming what its version counts, or none that posts change).
    `variant` names what else the page shows differently (a catalog's order); `share`
    False renders it for this reader alone. `render` may answer otherwise (a redirect, by
    returning a Response, or a 404, by raising): such answers are not stored."""
    gate = page_gate()
    key = page_key(current_app.config, current_app.extensions[BUILD], request.path, board,
                   version, gate.closed if gate else None, (*variant, *reader.page_variant()))
    scope = board.slug if board else scope
    seen = version_seen_at(f"~{scope or 'site'}" if board is None else scope, version)
    if not share or reader_only():
        return _private(key, seen, render)
    etag = key_etag(key)
    cache = current_app.extensions[CACHE]
    page = cache.get(key)
    last_modified = page.seen if page else seen
    held = held_copy(request.headers.get("If-None-Match"), etag)
    if (held is None and "If-Modified-Since" in request.headers
            and "If-None-Match" not in request.headers and request.if_modified_since
            and request.if_modified_since.timestamp() >= last_modified):
        held = etag
    if held is not None:
        return _send(None, etag, held, last_modified)
    answered: list[Response] = []

    def make() -> CachedPage | None:
        with read_snapshot():
            html = render()
        if isinstance(html, Response):
            answered.append(html)
            return None
        return CachedPage.of(html, etag, last_modified)

    page = cache.get_or_render(key, scope, version, make)
    if page is None:  # a redirect, or another request's (then answer this one alone)
        return answered[0] if answered else _private(key, seen, render)
    return _send(page, etag, None, last_modified)


def _private(key: tuple, seen: int, render: Render) -> Response:
    """This reader's own copy: never stored or compressed; a message shown once is never
    revalidated. `seen`: when this version of what it shows was first seen."""
    grant = current_grant() if JANITOR_COOKIE in request.cookies else None
    g.janitor_page = grant is not None
    answered: list[Response] = []

    def make() -> str:
        html = render()
        if isinstance(html, Response):
            answered.append(html)
            return ""
        return html

    if _message_waiting():
        with read_snapshot():
            html = make()
        response = current_app.response_class(html, mimetype="text/html")
        response.headers["Cache-Control"] = "private, no-store"
        return answered[0] if answered else response
    gate = page_gate()
    parts = (*key, generate_csrf() if grant else "", grant.id if grant else "",
             grant.expires if grant else "", *(gate.state if gate else ()))
    response = conditional(parts, seen, make, "text/html", cache_control="private, no-cache")
    return answered[0] if answered else response


def init_app(app: Flask) -> None:
    app.extensions[CACHE] = PageCache()
    digest = hashlib.sha256()
    for name in sorted(app.jinja_env.list_templates()):
        source, _filename, _uptodate = app.jinja_loader.get_source(app.jinja_env, name)
        digest.update(name.encode() + b"\0" + source.encode())
    app.extensions[BUILD] = digest.hexdigest()[:16]
