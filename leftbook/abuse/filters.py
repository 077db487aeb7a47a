"""Per-board word filters from the board files: `reject` refuses a post, `replace` rewrites it.

Patterns are regular expressions matched case-insensitively. A refusal names no pattern,
so spammers learn nothing about the list.
"""

import re
from functools import lru_cache

from leftbook.refusal import Refusal

REJECT_MESSAGE = "Your post contains a filtered word; it was not posted."


@lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.IGNORECASE)


def apply_filters(filters: tuple[dict[str, str], ...], text: str) -> str:
    """`text` with every `replace` filter applied; refuse it on a `reject` match.

    Rejections are checked on the original text and after replacements, so a replacement
    cannot be used to smuggle a rejected word in.
    """
    rejects = [_compiled(f["pattern"]) for f in filters if f["action"] == "reject"]
    if any(p.search(text) for p in rejects):
        raise Refusal(REJECT_MESSAGE)
    for f in filters:
        if f["action"] == "replace":
            text = _compiled(f["pattern"]).sub(lambda _m, r=f["replacement"]: r, text)
    if any(p.search(text) for p in rejects):
        raise Refusal(REJECT_MESSAGE)
    return text
