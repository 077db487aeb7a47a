"""Per-board word filters from the board files: `reject` refuses a post, `replace` rewrites it.

Patterns are regular expressions matched case-insensitively. A refusal names no pattern,
so spammers learn nothing about the list.
"""

import re
from functools import lru_cache

REJECT_MESSAGE = "Your post contains a filtered word; it was not posted."


class FilteredPost(Exception):
    """A post matched a `reject` filter."""

    def __init__(self) -> None:
        super().__init__(REJECT_MESSAGE)
        self.message = REJECT_MESSAGE


@lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.IGNORECASE)


def apply_filters(filters: tuple[dict[str, str], ...], text: str) -> str:
    """`text` with every `replace` filter applied; raise FilteredPost on a `reject` match.

    Rejections are checked on the original text and after replacements, so a replacement
    cannot be used to smuggle a rejected word in.
    """
    rejects = [_compiled(f["pattern"]) for f in filters if f["action"] == "reject"]
    if any(p.search(text) for p in rejects):
        raise FilteredPost
    for f in filters:
        if f["action"] == "replace":
            text = _compiled(f["pattern"]).sub(lambda _m, r=f["replacement"]: r, text)
    if any(p.search(text) for p in rejects):
        raise FilteredPost
    return text
