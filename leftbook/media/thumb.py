"""Thumbnails and perceptual hashes."""

from __future__ import annotations

import functools
import io

import imagehash
from PIL import Image

THUMB_JPEG_QUALITY = 80
THUMB_EXTENSIONS = (".jpg", ".png")
REDUCIBLE_MODES = ("L", "LA", "RGB", "RGBA")


@functools.cache
def _white(size: tuple[int, int]) -> Image.Image:
    return Image.new("RGBA", size, "white")


def displayable(image: Image.Image) -> Image.Image:
    """The image in a mode a thumbnail can be resampled and saved in: L, RGB or RGBA."""
    mode = image.mode
    if mode in ("L", "RGB", "RGBA"):
        return image
    if mode.startswith("I") or mode == "F":
        return image.convert("I").point(lambda value: value / 256).convert("L")
    if mode == "1":
        return image.convert("L")
    if mode == "P":
        return image.convert("RGBA" if "transparency" in image.info else "RGB")
    if mode == "CMYK":
        return image.convert("RGB")
    return image.convert("RGBA")


def make_thumbnail(frame: Image.Image, box: int) -> tuple[Image.Image, bytes, str]:
    """Fit ``frame`` in a ``box`` square: JPEG when opaque, PNG when transparency shows."""
    image = frame
    factor = max(image.size) // (2 * box)
    if factor >= 2 and image.mode in REDUCIBLE_MODES:
        image = image.reduce(factor)  # cheap integer box filter on the decoded pixels
    image = displayable(image)
    if image is frame:
        image = frame.copy()
    image.thumbnail((box, box))
    if image.mode == "RGBA" and image.getchannel("A").getextrema()[0] == 255:
        image = image.convert("RGB")
    buffer = io.BytesIO()
    if image.mode == "RGBA":
        image.save(buffer, "PNG")
        return image, buffer.getvalue(), ".png"
    image.save(buffer, "JPEG", quality=THUMB_JPEG_QUALITY)
    return image, buffer.getvalue(), ".jpg"


def perceptual_hash(thumbnail: Image.Image) -> str:
    """pHash (64 bits, hex) of the thumbnail, transparency flattened onto white."""
    if thumbnail.mode == "RGBA":
        thumbnail = Image.alpha_composite(_white(thumbnail.size), thumbnail)
    return str(imagehash.phash(thumbnail))


def phash_distance(a: str, b: str) -> int:
    """Hamming distance between two hex pHashes of the same length."""
    if len(a) != len(b):
        raise ValueError("perceptual hashes of different lengths")
    return (int(a, 16) ^ int(b, 16)).bit_count()
