"""Atom 1.0 feeds: a board's new threads, and the posts of one thread, newest first.

Every URL in a feed is the site's own, made absolute from the request's host (which the app
only answers for loopback names and its onion name). Links that posters wrote to other sites
become plain text, so a feed reader is never pointed elsewhere by the feed.
"""

import html
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, request
from peewee import JOIN

from leftbook import pages
from leftbook.boardconf import Board
from leftbook.models import File, Post, Thread
from leftbook.views.api import board_conditional, version_seen_at
from leftbook.views.common import get_board

blueprint = Blueprint("feeds", __name__)

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml"
FEED_SIZE = 30
TITLE_CHARS = 80
# The exact form in which `leftbook.markup` writes a link to a URL a poster typed.
_POSTED_URL_LINK = re.compile(
    r'<a href="[^"]*" rel="noreferrer noopener nofollow" target="_blank">([^<]*)</a>'
)
_SITE_HREF = re.compile(r'href="/(?!/)')
_TAG = re.compile(r"<[^>]*>")
_SPAN_EDGE = re.compile(r'<span class="spoiler">|<span[ >]|</span>')
SPOILER_OPEN = '<span class="spoiler">'


def _hide_spoilers(post_html: str) -> str:
    """Replace spoilers with a marker: feed readers ignore the CSS that hides them on the page."""
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


def _site_root() -> str:
    return request.host_url.rstrip("/")


def _atom_time(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _posts():
    return Post.select(Post, File).join(File, JOIN.LEFT_OUTER)


def _shown_text(post: Post) -> str:
    """The post's text as the page shows it (rendered, tags removed), shortened for a title."""
    text = " ".join(html.unescape(_TAG.sub(" ", _hide_spoilers(post.html))).split())
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1] + "…"


def _title(post: Post) -> str:
    return post.subject or _shown_text(post) or f"No.{post.no}"


def _post_url(root: str, post: Post) -> str:
    return f"{root}/{post.board}/res/{post.thread_no}.html#p{post.no}"


def _content(root: str, post: Post) -> str:
    """The post as HTML with absolute links to this site only."""
    base = html.escape(root, quote=True)
    parts = []
    if post.file:
        f = post.file
        src = f"{base}/{post.board}/src/{f.tim}{f.ext}"
        if post.spoiler:
            parts.append(f'<p><a href="{src}">[spoiler image]</a></p>')
        else:
            thumb = f"{base}/{post.board}/thumb/{f.tim}{f.thumb_ext}"
            parts.append(f'<p><a href="{src}"><img src="{thumb}" width="{f.tn_w}" '
                         f'height="{f.tn_h}" alt="thumbnail"></a></p>')
    body = _hide_spoilers(_POSTED_URL_LINK.sub(r"\1", post.html))
    body = _SITE_HREF.sub(f'href="{base}/', body)
    parts.append(f"<div>{body}</div>")
    return "".join(parts)


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    element.text = text
    return element


def _entry(feed: ET.Element, root: str, post: Post) -> None:
    entry = ET.SubElement(feed, "entry")
    url = _post_url(root, post)
    _text(entry, "id", url)
    _text(entry, "title", _title(post))
    _text(entry, "published", _atom_time(post.time))
    _text(entry, "updated", _atom_time(post.time))
    ET.SubElement(entry, "link", {"rel": "alternate", "type": "text/html", "href": url})
    author = ET.SubElement(entry, "author")
    _text(author, "name", f"{post.name} {post.trip}" if post.trip else post.name)
    _text(entry, "content", _content(root, post), type="html")


def _feed(board: Board, title: str, page_url: str, posts: list[Post], fallback_time: int) -> str:
    root = _site_root()
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    self_url = root + request.path
    _text(feed, "id", self_url)
    _text(feed, "title", title)
    _text(feed, "subtitle", board.description)
    _text(feed, "updated", _atom_time(max((p.time for p in posts), default=fallback_time)))
    ET.SubElement(feed, "link", {"rel": "self", "type": ATOM_TYPE, "href": self_url})
    ET.SubElement(feed, "link", {"rel": "alternate", "type": "text/html",
                                 "href": root + page_url})
    _text(ET.SubElement(feed, "author"), "name", f"/{board.slug}/")
    for post in posts:
        _entry(feed, root, post)
    return ET.tostring(feed, encoding="unicode", xml_declaration=True)


@blueprint.get("/<board>/index.atom")
def board_feed(board: str) -> Response:
    b = get_board(board)

    def render() -> str:
        newest = [no for (no,) in Thread.select(Thread.no).where(Thread.board == b.slug)
                  .order_by(Thread.no.desc()).limit(FEED_SIZE).tuples()]
        opening_posts = list(
            _posts().where(Post.board == b.slug, Post.no.in_(newest)).order_by(Post.no.desc())
        )
        changed = version_seen_at(b.slug, pages.board_version(b.slug))
        return _feed(b, f"/{b.slug}/ - {b.title}: new threads", f"/{b.slug}/",
                     opening_posts, changed)

    return board_conditional(b, ("index.atom", request.host_url), render, ATOM_TYPE)


@blueprint.get("/<board>/res/<number:no>.atom")
def thread_feed(board: str, no: int) -> Response:
    b = get_board(board)
    thread = Thread.get_or_none(Thread.board == b.slug, Thread.no == no)
    if thread is None:
        abort(404, "This thread does not exist (it may have been deleted or pruned).")

    def render() -> str:
        op = _posts().where(Post.thread == thread.id, Post.no == thread.no).get()
        newest = list(
            _posts().where(Post.thread == thread.id).order_by(Post.no.desc()).limit(FEED_SIZE)
        )
        return _feed(b, f"/{b.slug}/ - {_title(op)}", f"/{b.slug}/res/{no}.html",
                     newest, thread.created)

    return board_conditional(b, ("thread.atom", no, request.host_url), render, ATOM_TYPE)
