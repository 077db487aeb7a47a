"""Atom 1.0 feeds: a board's new threads, and the posts of one thread, newest first.

Every URL in a feed is the site's own, made absolute from `root` (the request's host, which
the app only answers for loopback names and its onion name). Links that posters wrote to
other sites become plain text, so a feed reader is never pointed elsewhere by the feed.
A browser opening a feed is given it as XML with a stylesheet that shows titles and text.
An event thread's entry carries its dates (in its title, summary and content), its place and
the organisers' link (as text, like every outside link).
"""

import html
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from peewee import JOIN

from leftbook.boards import Board
from leftbook.database.models import File, Post, Thread
from leftbook.events.fields import describe
from leftbook.posting.markup import for_feed, plain_text

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml"
FEED_SIZE = 30
TITLE_CHARS = 80
# What XML 1.0 cannot carry; posts made before text cleaning dropped it may still hold some.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _atom_time(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _posts():
    return Post.select(Post, File).join(File, JOIN.LEFT_OUTER)


def title(post: Post) -> str:
    """The subject, else the start of the text as the page shows it, else the number."""
    text = plain_text(post.html)
    if len(text) > TITLE_CHARS:
        text = text[: TITLE_CHARS - 1] + "…"
    return post.subject or text or f"No.{post.no}"


def _event(post: Post) -> tuple[str, str] | None:
    """(when, "when · place · link") of an event thread's opening post; None for others."""
    if not post.event_start:
        return None
    when = describe(post.event_start, post.event_end)
    return when, " · ".join(part for part in (when, post.event_place, post.event_link) if part)


def _content(root: str, post: Post) -> str:
    """The post as HTML with absolute links to this site only."""
    base = html.escape(root, quote=True)
    parts = []
    event = _event(post)
    if event:
        parts.append(f'<p class="event">{html.escape(event[1])}</p>')
    if post.file:
        f = post.file
        src = f"{base}/{post.board}/src/{f.tim}{f.ext}"
        if post.spoiler:
            parts.append(f'<p><a href="{src}">[spoiler image]</a></p>')
        else:
            thumb = f"{base}/{post.board}/thumb/{f.tim}{f.thumb_ext}"
            parts.append(f'<p><a href="{src}"><img src="{thumb}" width="{f.tn_w}" '
                         f'height="{f.tn_h}" alt="thumbnail"></a></p>')
    parts.append(f"<div>{for_feed(post.html, root)}</div>")
    return "".join(parts)


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    element.text = NOT_XML.sub("", text)
    return element


def _entry(feed: ET.Element, root: str, post: Post) -> None:
    entry = ET.SubElement(feed, "entry")
    url = f"{root}/{post.board}/res/{post.thread_no}.html#p{post.no}"
    event = _event(post)
    _text(entry, "id", url)
    _text(entry, "title", f"{event[0]} · {title(post)}" if event else title(post))
    _text(entry, "published", _atom_time(post.time))
    _text(entry, "updated", _atom_time(post.time))
    ET.SubElement(entry, "link", {"rel": "alternate", "type": "text/html", "href": url})
    author = ET.SubElement(entry, "author")
    _text(author, "name", f"{post.name} {post.trip}" if post.trip else post.name)
    summary = plain_text(post.html) or title(post)
    _text(entry, "summary", f"{event[1]}\n{summary}" if event else summary)
    _text(entry, "content", _content(root, post), type="html")


def _feed(board: Board, heading: str, root: str, self_path: str, page_path: str,
          posts: list[Post], fallback_time: int, stylesheet: str | None) -> str:
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    self_url = root + self_path
    _text(feed, "id", self_url)
    _text(feed, "title", heading)
    _text(feed, "subtitle", board.description)
    _text(feed, "updated", _atom_time(max((p.time for p in posts), default=fallback_time)))
    ET.SubElement(feed, "link", {"rel": "self", "type": ATOM_TYPE, "href": self_url})
    ET.SubElement(feed, "link", {"rel": "alternate", "type": "text/html",
                                 "href": root + page_path})
    _text(ET.SubElement(feed, "author"), "name", f"/{board.slug}/")
    for post in posts:
        _entry(feed, root, post)
    style = f'<?xml-stylesheet type="text/css" href="{html.escape(stylesheet)}"?>\n' \
        if stylesheet else ""
    return f'<?xml version="1.0" encoding="utf-8"?>\n{style}' + ET.tostring(
        feed, encoding="unicode")


def board_feed(board: Board, root: str, self_path: str, changed: int,
               stylesheet: str | None = None) -> str:
    """The newest threads of `board`, as their opening posts."""
    newest = [no for (no,) in Thread.select(Thread.no).where(Thread.board == board.slug)
              .order_by(Thread.no.desc()).limit(FEED_SIZE).tuples()]
    opening_posts = list(
        _posts().where(Post.board == board.slug, Post.no.in_(newest)).order_by(Post.no.desc())
    )
    return _feed(board, f"/{board.slug}/ - {board.title}: new threads", root, self_path,
                 f"/{board.slug}/", opening_posts, changed, stylesheet)


def thread_feed(board: Board, thread: Thread, root: str, self_path: str,
                stylesheet: str | None = None) -> str:
    """The newest posts of one thread."""
    op = _posts().where(Post.thread == thread.id, Post.no == thread.no).get()
    newest = list(
        _posts().where(Post.thread == thread.id).order_by(Post.no.desc()).limit(FEED_SIZE)
    )
    return _feed(board, f"/{board.slug}/ - {title(op)}", root, self_path,
                 f"/{board.slug}/res/{thread.no}.html", newest, thread.created, stylesheet)
