"""Hostile uploads for bench/attack.py, made with Pillow on the spot (nothing is committed).

- `progressive_jpeg_bomb()`: a 2000x2000 progressive JPEG of one flat colour whose last scan
  (14 bytes) is repeated 20 000 times before EOI: about 300 KB that a decoder must apply
  20 000 times to every block. libjpeg only warns about the repeated refinement scans, so
  Pillow decodes it (tens of CPU seconds) and the site accepts it.
- `flat_webp()`: a lossless 6000x6000 WebP of one flat colour, well under 1 KB; decoded it
  is 36 megapixels (144 MB in Pillow's RGBX), and re-encoding it costs more.
- `small_png()`: a distinct 32x32 noise picture, for threads that carry a file.
"""

import io
import os
import struct

from PIL import Image


def _segments(data: bytes) -> list[tuple[int, int, int]]:
    """(marker, start, end) of each JPEG segment after SOI; a scan (SOS) runs to the end of
    its entropy-coded data (the next marker that is neither a stuffed 0xFF00 nor a restart)."""
    found, pos = [], 2
    while pos < len(data):
        if data[pos] != 0xFF:
            raise ValueError(f"not a JPEG marker at byte {pos}")
        while data[pos + 1] == 0xFF:  # fill bytes
            pos += 1
        marker = data[pos + 1]
        if marker == 0xD9:  # EOI
            found.append((marker, pos, pos + 2))
            break
        end = pos + 2 + struct.unpack(">H", data[pos + 2:pos + 4])[0]
        if marker == 0xDA:
            while not (data[end] == 0xFF and data[end + 1] != 0
                       and not 0xD0 <= data[end + 1] <= 0xD7):
                end += 1
        found.append((marker, pos, end))
        pos = end
    return found


def progressive_jpeg_bomb(size: int = 2000, repeats: int = 20_000,
                          colour: tuple[int, int, int] = (120, 30, 40)) -> bytes:
    """A progressive JPEG whose last scan is repeated `repeats` times (about 300 KB)."""
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(buffer, "JPEG", progressive=True, quality=75)
    data = buffer.getvalue()
    scans = [(start, end) for marker, start, end in _segments(data) if marker == 0xDA]
    start, end = scans[-1]
    return data[:end] + data[start:end] * repeats + data[end:]


def flat_webp(size: int = 6000, colour: tuple[int, int, int] = (10, 200, 30)) -> bytes:
    """A lossless WebP of one flat colour: tiny on the wire, `size`² pixels decoded."""
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(buffer, "WEBP", lossless=True, method=0)
    return buffer.getvalue()


def small_png(size: int = 32) -> bytes:
    """A picture no other call returns (random noise)."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (size, size), os.urandom(size * size * 3)).save(buffer, "PNG")
    return buffer.getvalue()
