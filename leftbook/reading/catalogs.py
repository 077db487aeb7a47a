"""Catalog order and filter: sort a catalog's threads by last bump, creation, replies or
files, and keep those whose opening post has every word of a filter. Plain values in (from
links and a GET form), server-side, bounded."""

from dataclasses import dataclass

from leftbook.reading.pages import ThreadView
from leftbook.refusal import Refusal

SORTS = {  # name in the URL -> what the page calls it
    "bump": "last bump", "created": "creation", "replies": "replies", "files": "files",
}
DEFAULT_SORT = "bump"
MAX_FILTER = 100  # characters
MAX_FILTER_WORDS = 8


@dataclass(frozen=True)
class CatalogOrder:
    sort: str = "bump"
    words: tuple[str, ...] = ()

    @property
    def is_default(self) -> bool:
        return self.sort == "bump" and not self.words


def catalog_order(sort: str | None, text: str | None) -> CatalogOrder:
    """Read the catalog's `sort` and filter `q` arguments (missing: bump order, no filter)."""
    sort = sort or DEFAULT_SORT
    if sort not in SORTS:
        raise Refusal("A catalog sorts by " + ", ".join(SORTS) + ".")
    text = text or ""
    if len(text) > MAX_FILTER:
        raise Refusal(f"A catalog filter can be at most {MAX_FILTER} characters long.")
    words = tuple(dict.fromkeys(text.casefold().split()))
    if len(words) > MAX_FILTER_WORDS:
        raise Refusal(f"A catalog filter can have at most {MAX_FILTER_WORDS} words.")
    return CatalogOrder(sort, words)


def _matches(view: ThreadView, words: tuple[str, ...]) -> bool:
    op = view.posts[0]
    text = f"{op.subject or ''}\n{op.body}".casefold()
    return all(word in text for word in words)


def arrange(views: list[ThreadView], order: CatalogOrder) -> list[ThreadView]:
    """`views` (in bump order, as read) filtered and sorted; ties keep bump order."""
    kept = [v for v in views if _matches(v, order.words)] if order.words else list(views)
    if order.sort == "created":
        kept.sort(key=lambda v: (v.thread.created, v.thread.no), reverse=True)
    elif order.sort == "replies":
        kept.sort(key=lambda v: v.thread.replies, reverse=True)
    elif order.sort == "files":
        kept.sort(key=lambda v: v.thread.images, reverse=True)
    return kept
