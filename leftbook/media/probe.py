"""Header-only inspection of an upload: its type, size and frame count, nothing decoded."""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

from PIL import Image

from leftbook.media.types import FileLimits
from leftbook.refusal import Refusal

#: Errors Pillow raises on malformed input (see Pillow's fuzzing notes).
PILLOW_INPUT_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    IndexError,
    KeyError,
    ZeroDivisionError,
    OverflowError,
)

PILLOW_FORMATS = {"JPEG": ("JPEG",), "PNG": ("PNG",), "GIF": ("GIF",), "WEBP": ("WEBP",)}
OPENED_AS = {"JPEG": {"JPEG", "MPO"}, "PNG": {"PNG"}, "GIF": {"GIF"}, "WEBP": {"WEBP"}}

UNSUPPORTED = "This file is not a JPEG, PNG, GIF or WebP image."
MALFORMED = "This image is truncated or malformed and cannot be read."
TOO_LARGE_DECODED = ("The image is too large once decoded (width, height, colour channels "
                     "and frames together); make it smaller or shorter.")


@dataclass(frozen=True)
class WebPLayout:
    """What the RIFF chunks of a WebP file say, read without decoding."""

    lossless: bool
    durations: tuple[int, ...]


@dataclass
class Probe:
    """An opened (not decoded) image and what its header says."""

    kind: str
    image: Image.Image
    width: int
    height: int
    frames: int
    webp: WebPLayout | None = None
    gif_reveals_holes: bool = False


def sniff(data: bytes) -> str | None:
    """The container the magic bytes claim; Pillow still has the last word."""
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def gif_extent(data: bytes, frame_cap: int) -> tuple[int, int, int, bool]:
    """Frames (counted up to ``frame_cap + 1``), the largest canvas any frame reaches, and
    whether a pixel can turn transparent again (transparency plus restoring disposal)."""
    width, height, flags = struct.unpack_from("<HHB", data, 6)
    pos = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    frames = 0
    transparent = restores = False
    while pos < len(data) and frames <= frame_cap:
        block = data[pos]
        if block == 0x2C:
            x, y, w, h, local = struct.unpack_from("<HHHHB", data, pos + 1)
            width, height = max(width, x + w), max(height, y + h)
            frames += 1
            pos += 10 + (3 << ((local & 7) + 1) if local & 0x80 else 0) + 1
        elif block == 0x21:
            if data[pos + 1 : pos + 3] == b"\xf9\x04" and len(data) > pos + 4:
                transparent = transparent or bool(data[pos + 3] & 1)
                restores = restores or (data[pos + 3] >> 2) & 7 in (2, 3)
            pos += 2
        else:
            break
        while pos < len(data) and data[pos]:
            pos += data[pos] + 1
        pos += 1
    return frames, width, height, transparent and restores


def jpeg_scans(data: bytes) -> int:
    """An upper bound on a JPEG's scans: every start-of-scan marker in the file. Inside
    entropy-coded data 0xFF is always stuffed, so each FF DA there is a real marker; the
    only extra ones are in metadata segments (an EXIF thumbnail's own scan), and no marker
    walk that libjpeg's resynchronisation could fool is needed."""
    return data.count(b"\xff\xda")


def check_scans(kind: str | None, data: bytes, limits: FileLimits) -> None:
    if kind == "JPEG" and jpeg_scans(data) > limits.max_jpeg_scans:
        raise Refusal(f"This JPEG is built from more than {limits.max_jpeg_scans} scans; "
                      "save it again as an ordinary (baseline) JPEG.", 413)


def pixel_bytes(mode: str, frames: int) -> int:
    """Bytes one decoded pixel takes in Pillow: 1 for a single 8-bit band, 2 for 16-bit
    grey, else 4 (RGB is stored in four bytes); every frame after the first is RGB(A)."""
    if frames > 1:
        return 4
    if mode in ("1", "L", "P"):
        return 1
    return 2 if mode.startswith("I;16") else 4


def webp_layout(data: bytes) -> WebPLayout:
    """Whether every frame is lossless, and each animation frame's duration in ms."""
    bitstreams: list[bytes] = []
    durations: list[int] = []
    pos = 12
    while pos + 8 <= len(data):
        fourcc, size = data[pos : pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        body = pos + 8
        if fourcc in (b"VP8 ", b"VP8L"):
            bitstreams.append(fourcc)
        elif fourcc == b"ANMF" and size >= 24:
            durations.append(int.from_bytes(data[body + 12 : body + 15], "little"))
            first = data[body + 16 : body + 20]
            bitstreams.append(b"VP8 " if first == b"ALPH" else first)
        pos = body + size + (size & 1)
    return WebPLayout(bool(bitstreams) and set(bitstreams) == {b"VP8L"}, tuple(durations))


def probe(data: bytes, limits: FileLimits) -> Probe:
    """Refuse by size, type, pixels, frames, decoded size and scans from the headers alone."""
    if len(data) > limits.max_bytes:
        raise Refusal(f"The file is larger than {mib(limits.max_bytes)}.", 413)
    kind = sniff(data)
    if kind is None:
        raise Refusal(UNSUPPORTED, 415)
    try:
        image = Image.open(io.BytesIO(data), formats=PILLOW_FORMATS[kind])
        width, height = image.size
        frames, gif_reveals_holes = getattr(image, "n_frames", 1), False
        if kind == "GIF":
            frames, width, height, gif_reveals_holes = gif_extent(data, limits.max_frames)
        elif kind == "JPEG":
            frames = 1  # an MPO's extra pictures (previews, depth maps) are dropped
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise Refusal(_too_many_pixels(limits), 413) from exc
    except PILLOW_INPUT_ERRORS as exc:
        raise Refusal(MALFORMED, 400) from exc
    if image.format not in OPENED_AS[kind]:
        raise Refusal(UNSUPPORTED, 415)
    if width < 1 or height < 1:
        raise Refusal(MALFORMED, 400)
    if width * height > min(limits.max_pixels, Image.MAX_IMAGE_PIXELS or limits.max_pixels):
        raise Refusal(_too_many_pixels(limits), 413)
    if frames > limits.max_frames:
        raise Refusal(f"The animation has more than {limits.max_frames} frames.", 413)
    if frames > 1 and frames * width * height > limits.max_animation_pixels:
        raise Refusal("The animation is too long for its size; make it shorter or smaller.", 413)
    if width * height * pixel_bytes(image.mode, frames) * frames > limits.max_decoded_bytes:
        raise Refusal(TOO_LARGE_DECODED, 413)
    check_scans(kind, data, limits)
    layout = webp_layout(data) if kind == "WEBP" else None
    return Probe(kind, image, width, height, frames, layout, gif_reveals_holes)


def _too_many_pixels(limits: FileLimits) -> str:
    return f"The image has more than {limits.max_pixels / 1e6:g} megapixels."


def mib(n: int) -> str:
    return f"{n / (1024 * 1024):g} MiB"
