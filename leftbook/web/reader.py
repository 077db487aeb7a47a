"""What only the reader's own browser remembers: the posts it made ("(You)") and the threads
it watches, with the reply count it last saw in each.

Both live in signed session cookies (HttpOnly, SameSite=Strict), bounded in entries and
bytes; the server stores nothing of either, and Tor Browser forgets both with its session.
Pages stay the same for everyone: the posts' HTML is the shared cached fragment, and a
reader's "(You)" marks come from a tiny stylesheet made from the cookie (`you_css`), linked
under a URL with the cookie's version: random, made anew whenever the list changes, so the
browser keeps the stylesheet until then, and the page variant the server caches under that
URL (web/shared.py) says nothing of which posts are whose.
"""

import re
from secrets import token_hex

from flask import Response, g, request, url_for

from leftbook.database.models import MAX_POST_NO
from leftbook.signing import InvalidSignature, sign, unsign
from leftbook.web.cookies import cookie_options
from leftbook.web.site import secrets

OWN_COOKIE = "you"
WATCH_COOKIE = "watch"
MAX_OWN_POSTS = 100
MAX_WATCHED = 50
MAX_COOKIE = 3000  # bytes of a cookie's value; the oldest entries go first
SLUG = re.compile(r"[a-z0-9]{1,16}")
VERSION = re.compile(r"[0-9a-f]{16}")

Ref = tuple[str, int]  # (board, post or thread number)


def _number(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_POST_NO


def _load(name: str, purpose: str) -> list:
    """The cookie's entries, or none when it is absent, altered or malformed."""
    token = request.cookies.get(name, "")
    if not token or len(token) > 2 * MAX_COOKIE:
        return []
    try:
        entries = unsign(secrets().secret_key, purpose, token)
    except InvalidSignature:
        return []
    return entries if isinstance(entries, list) else []


def _dump(purpose: str, entries: list, limit: int, head: tuple = ()) -> str:
    """The signed value for `head` then `entries` (newest last), dropping the oldest
    entries beyond the bounds."""
    entries = entries[-limit:]
    while True:
        token = sign(secrets().secret_key, purpose, [*head, *entries])
        if len(token) <= MAX_COOKIE or not entries:
            return token
        entries = entries[1:]


def _own() -> tuple[str, list[Ref]]:
    """(version, posts) of the browser's own-posts cookie, read once a request (the page's
    key and its stylesheet link both ask); ("", []) when it has none."""
    if "own_cookie" not in g:
        entries = _load(OWN_COOKIE, "reader-posts")
        version = entries[0] if entries and isinstance(entries[0], str) else ""
        posts = [(b, n) for b, n in (e for e in entries[1:]
                                     if isinstance(e, list) and len(e) == 2)
                 if isinstance(b, str) and SLUG.fullmatch(b) and _number(n)]
        g.own_cookie = (version, posts) if VERSION.fullmatch(version) and posts else ("", [])
    return g.own_cookie


def own_posts() -> list[Ref]:
    return _own()[1]


def own_version() -> str:
    """The random version of the own-posts list ("" without one): the stylesheet's name."""
    return _own()[0]


def watched() -> dict[Ref, int]:
    """Watched threads, oldest first, each with the reply count last seen."""
    found: dict[Ref, int] = {}
    for entry in _load(WATCH_COOKIE, "reader-watch"):
        if isinstance(entry, list) and len(entry) == 3:
            board, no, seen = entry
            if isinstance(board, str) and SLUG.fullmatch(board) and _number(no) and (
                    _number(seen) or seen == 0):
                found[(board, no)] = seen
    return found


def remember_own_post(response: Response, board: str, no: int) -> None:
    posts = [p for p in own_posts() if p != (board, no)] + [(board, no)]
    value = _dump("reader-posts", [list(p) for p in posts], MAX_OWN_POSTS,
                  head=(token_hex(8),))
    response.set_cookie(OWN_COOKIE, value, **cookie_options())


def store_watched(response: Response, threads: dict[Ref, int]) -> None:
    if not threads:
        response.delete_cookie(WATCH_COOKIE, path="/", samesite="Strict", httponly=True)
        return
    entries = [[board, no, seen] for (board, no), seen in threads.items()]
    response.set_cookie(WATCH_COOKIE, _dump("reader-watch", entries, MAX_WATCHED),
                        **cookie_options())


def note_visit(response: Response, board: str, no: int, replies: int) -> None:
    """A watched thread was shown: its replies so far count as seen."""
    threads = watched()
    if threads.get((board, no), replies) != replies:
        threads[(board, no)] = replies
        store_watched(response, threads)


def stylesheet_url() -> str | None:
    """The URL of this reader's "(You)" stylesheet, or None when it has no posts."""
    version = own_version()
    return url_for("reader.stylesheet", v=version) if version else None


def page_variant() -> tuple[str, ...]:
    """What a page shows for this browser alone: the link to its "(You)" stylesheet."""
    if OWN_COOKIE not in request.cookies:
        return ()
    url = stylesheet_url()
    return (url,) if url else ()


def you_css(posts: list[Ref]) -> str:
    """Rules marking the reader's own posts and the quote links that point at them."""
    rules = []
    for board, no in posts:
        rules.append(f'article.post[data-board="{board}"]#p{no}>header .name::after,'
                      f'a.quotelink[href^="/{board}/res/"][href$="#p{no}"]::after'
                      '{content:" (You)";font-weight:700}')
    return "\n".join(rules) + "\n"
