"""The file ban list: a banned file is refused by exact hash, and a banned picture (an image,
a video frame, a PDF's first page, an EPUB's cover) by perceptual likeness too."""

from leftbook import media
from leftbook.database.models import FileBan

# pHash bits that may differ for a re-encoded, resized or slightly altered copy to still match
MAX_DISTANCE = 8


def is_banned(tim: str, phash: str) -> bool:
    """`phash` is empty for a file whose thumbnail is an icon (audio, an EPUB without a
    cover): such files, and bans of them, match by exact hash only."""
    if FileBan.select().where(FileBan.sha256 == tim).exists():
        return True
    if not phash:
        return False
    return any(
        len(banned) == len(phash) and media.phash_distance(phash, banned) <= MAX_DISTANCE
        for (banned,) in FileBan.select(FileBan.phash).where(FileBan.phash != "").tuples()
    )
