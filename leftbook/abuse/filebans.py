"""The file ban list: a banned picture is refused by exact hash or by perceptual likeness."""

from leftbook import media
from leftbook.database.models import FileBan

# pHash bits that may differ for a re-encoded, resized or slightly altered copy to still match
MAX_DISTANCE = 8


def is_banned(tim: str, phash: str) -> bool:
    if FileBan.select().where(FileBan.sha256 == tim).exists():
        return True
    return any(
        media.phash_distance(phash, banned) <= MAX_DISTANCE
        for (banned,) in FileBan.select(FileBan.phash).tuples()
    )
