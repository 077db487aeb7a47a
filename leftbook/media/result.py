"""Turning a cleaned file and its first picture into a ``CleanedFile``, and checking in the
server what a worker says it made (names, kind, hashes are never taken on trust)."""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib

from PIL import Image, ImageDraw

from leftbook.media.thumb import THUMB_EXTENSIONS, make_thumbnail, perceptual_hash
from leftbook.media.types import CleanedFile

# stored extension -> (kind, the type it is served with, whether browsers show it inline)
EXTENSION_TYPES: dict[str, tuple[str, str, bool]] = {
    ".jpg": ("image", "image/jpeg", True),
    ".png": ("image", "image/png", True),
    ".gif": ("image", "image/gif", True),
    ".webp": ("image", "image/webp", True),
    ".pdf": ("pdf", "application/pdf", True),
    ".epub": ("epub", "application/epub+zip", False),
    ".webm": ("video", "video/webm", True),
    ".mp4": ("video", "video/mp4", True),
    ".ogg": ("audio", "audio/ogg", True),
    ".mp3": ("audio", "audio/mpeg", True),
}
# a WebM or MP4 with no picture is audio, stored under its container's extension
AUDIO_ALSO = {".webm", ".mp4"}
ICON_SIZE = 200


def md5_base64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode("ascii")  # noqa: S324


@functools.cache
def icon(label: str) -> Image.Image:
    """The site's plain icon for a file without a picture: a page with its kind written on
    it (a raster image: Tor Browser at Safest shows no SVG)."""
    image = Image.new("RGB", (ICON_SIZE * 3 // 4, ICON_SIZE), (238, 238, 232))
    draw = ImageDraw.Draw(image)
    width, height = image.size
    draw.polygon([(8, 8), (width - 40, 8), (width - 8, 40), (width - 8, height - 8),
                  (8, height - 8)], fill="white", outline=(90, 90, 90), width=3)
    for row in range(70, height - 30, 16):
        draw.line([(24, row), (width - 24, row)], fill=(200, 200, 200), width=3)
    draw.text((width // 2, 40), label, fill=(120, 20, 20), anchor="mm", font_size=22)
    return image


def cleaned(kind: str, ext: str, data: bytes, picture: Image.Image | None, label: str,
            thumb_size: int, size: tuple[int, int], pages: int = 0,
            duration: int = 0) -> CleanedFile:
    """The result for `data`; its thumbnail is made from `picture`, or is the icon with
    `label` when there is none (then no perceptual hash: every icon looks alike)."""
    source = picture if picture is not None else icon(label)
    thumbnail, thumb_data, thumb_ext = make_thumbnail(source, thumb_size)
    return CleanedFile(
        kind=kind, tim=hashlib.sha256(data).hexdigest(), ext=ext, data=data,
        thumb=thumb_data, thumb_ext=thumb_ext, w=size[0], h=size[1],
        tn_w=thumbnail.width, tn_h=thumbnail.height, fsize=len(data), md5=md5_base64(data),
        phash=perceptual_hash(thumbnail) if picture is not None else "",
        pages=pages, duration=duration)


def verifier(kinds: tuple[str, ...]):
    """The server's check of a worker's result for a cleaner of `kinds`."""

    def verified(result: CleanedFile) -> CleanedFile:
        stored_kind = EXTENSION_TYPES.get(result.ext, ("", "", False))[0]
        if result.kind not in kinds or (stored_kind != result.kind and not (
                result.kind == "audio" and result.ext in AUDIO_ALSO)):
            raise ValueError(f"unexpected kind {result.kind!r} for {result.ext!r}")
        if result.thumb_ext not in THUMB_EXTENSIONS or not result.data or not result.thumb:
            raise ValueError("unexpected thumbnail or empty file")
        if min(result.tn_w, result.tn_h) < 1 or min(result.w, result.h, result.pages,
                                                     result.duration) < 0:
            raise ValueError("impossible sizes")
        return dataclasses.replace(result, tim=hashlib.sha256(result.data).hexdigest(),
                                   md5=md5_base64(result.data), fsize=len(result.data))

    return verified
