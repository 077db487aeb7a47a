"""Post markup: turn a body's source text into safe HTML once, at post time.

Everything in the body is HTML-escaped; the only tags in the output are the ones
this module writes: greentext and spoiler spans, quote links, struck dead links,
URL links and line breaks. Every pattern is linear in the input, and lookups of
quoted posts are cached and capped, so a hostile body costs little to render.
"""

from __future__ import annotations

import html as html_text
import re
from collections.abc import Callable
from dataclasses import dataclass
from html import escape

MAX_QUOTE_DIGITS = 12
MAX_LOOKUPS = 50
_URL_TRAILING = ".,;:!?)'\""

_TOKEN = re.compile(
    r">>>/(?P<xboard>[a-z0-9]{1,16})/(?P<xno>[0-9]+)?"
    r"|>>(?P<no>[0-9]+)"
    r"|(?P<url>(?i:https?)://[^\s<>*]+)"
    r"|(?P<spoiler>\*\*)"
)

SPOILER_OPEN = '<span class="spoiler">'
# The exact forms this module writes, which `for_feed` and `plain_text` take apart again.
_URL_LINK = re.compile(
    r'<a href="[^"]*" rel="noreferrer noopener nofollow" target="_blank">([^<]*)</a>'
)
_SITE_HREF = re.compile(r'href="/(?!/)')
_TAG = re.compile(r"<[^>]*>")
_SPAN_EDGE = re.compile(r'<span class="spoiler">|<span[ >]|</span>')

FindThread = Callable[[str, int], int | None]
BoardExists = Callable[[str], bool]


@dataclass(frozen=True)
class Rendered:
    html: str
    quotes: tuple[int, ...]  # existing posts of this board quoted with >>N, for backlinks


class _Lookups:
    """Answers 'which thread holds this post' and 'does this board exist', cached and capped."""

    def __init__(self, find_thread: FindThread, board_exists: BoardExists) -> None:
        self._find_thread = find_thread
        self._board_exists = board_exists
        self._cache: dict[tuple[str, int | None], int | bool | None] = {}
        self._left = MAX_LOOKUPS

    def _ask(
        self, key: tuple[str, int | None], ask: Callable[[], int | bool | None]
    ) -> int | bool | None:
        if key not in self._cache:
            if self._left <= 0:
                return None
            self._left -= 1
            self._cache[key] = ask()
        return self._cache[key]

    def thread(self, board: str, digits: str) -> int | None:
        if len(digits) > MAX_QUOTE_DIGITS:
            return None
        no = int(digits)
        return self._ask((board, no), lambda: self._find_thread(board, no))

    def board(self, slug: str) -> bool:
        return bool(self._ask((slug, None), lambda: self._board_exists(slug)))


def render(body: str, board: str, find_thread: FindThread, board_exists: BoardExists) -> Rendered:
    """Render a post body (line endings already `\\n`) posted on `board` to HTML."""
    lookups = _Lookups(find_thread, board_exists)
    quotes: dict[int, None] = {}
    lines = [_render_line(line, board, lookups, quotes) for line in body.split("\n")]
    return Rendered("<br>".join(lines), tuple(quotes))


def _render_line(line: str, board: str, lookups: _Lookups, quotes: dict[int, None]) -> str:
    tokens = list(_TOKEN.finditer(line))
    spoiler_marks = _paired_spoiler_marks(tokens)
    out: list[str] = []
    pos = 0
    in_spoiler = False
    for token in tokens:
        out.append(escape(line[pos : token.start()]))
        pos = token.end()
        if token["spoiler"] and token.start() in spoiler_marks:
            out.append("</span>" if in_spoiler else '<span class="spoiler">')
            in_spoiler = not in_spoiler
        elif token["spoiler"]:
            out.append("**")
        elif token["url"]:
            url = _trim_url(token["url"])
            has_host = bool(url.partition("://")[2])
            pos = token.start() + (len(url) if has_host else 0)
            out.append(_url_link(url) if has_host else "")
        elif token["no"] or token["xno"]:
            target, digits = token["xboard"] or board, token["no"] or token["xno"]
            thread = lookups.thread(target, digits)
            if thread is not None and token["no"]:
                quotes.setdefault(int(digits), None)
            href = None if thread is None else f"/{target}/res/{thread}.html#p{int(digits)}"
            out.append(_quote_link(token[0], href))
        else:
            exists = lookups.board(token["xboard"])
            out.append(_quote_link(token[0], f"/{token['xboard']}/" if exists else None))
    out.append(escape(line[pos:]))
    html = "".join(out)
    starts_with_quote = bool(tokens) and tokens[0].start() == 0  # only quotes start with >
    if line.startswith(">") and not starts_with_quote:
        return f'<span class="quote">{html}</span>'
    return html


def _paired_spoiler_marks(tokens: list[re.Match[str]]) -> set[int]:
    """Offsets of `**` marks that open or close a non-empty spoiler; others stay literal."""
    marks = [token.start() for token in tokens if token["spoiler"]]
    paired: set[int] = set()
    for opening, closing in zip(marks[::2], marks[1::2], strict=False):
        if closing > opening + 2:
            paired.update((opening, closing))
    return paired


def _trim_url(url: str) -> str:
    """Drop trailing punctuation, keeping a `)` that closes a `(` inside the URL."""
    unclosed = url.count("(") - url.count(")")
    end = len(url)
    while end and url[end - 1] in _URL_TRAILING:
        if url[end - 1] == ")":
            if unclosed >= 0:
                break
            unclosed += 1
        end -= 1
    return url[:end]


def _url_link(url: str) -> str:
    text = escape(url)
    return f'<a href="{text}" rel="noreferrer noopener nofollow" target="_blank">{text}</a>'


def _quote_link(text: str, href: str | None) -> str:
    if href is None:
        return f'<s class="deadlink">{escape(text)}</s>'
    return f'<a class="quotelink" href="{escape(href)}">{escape(text)}</a>'


def _hide_spoilers(post_html: str) -> str:
    """Replace spoilers with a marker: feed readers ignore the CSS that hides them."""
    out, depth, kept_from = [], 0, 0
    for edge in _SPAN_EDGE.finditer(post_html):
        if depth == 0 and edge.group() == SPOILER_OPEN:
            out.append(post_html[kept_from:edge.start()])
            depth = 1
        elif depth and edge.group() == "</span>":
            depth -= 1
            if depth == 0:
                out.append("[spoiler]")
                kept_from = edge.end()
        elif depth:
            depth += 1
    out.append(post_html[kept_from:] if depth == 0 else "[spoiler]")
    return "".join(out)


def for_feed(post_html: str, site_root: str) -> str:
    """A rendered post for a feed: links that posters typed become plain text, the site's
    own links absolute under `site_root`, spoilers hidden behind a marker."""
    body = _hide_spoilers(_URL_LINK.sub(r"\1", post_html))
    return _SITE_HREF.sub(f'href="{escape(site_root, quote=True)}/', body)


def plain_text(post_html: str) -> str:
    """A rendered post as one line of text, spoilers hidden (for titles)."""
    return " ".join(html_text.unescape(_TAG.sub(" ", _hide_spoilers(post_html))).split())
