"""Build test pictures in memory, each loaded with the metadata a real upload can carry."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import numpy as np
from PIL import Image, ImageCms, ImageDraw
from PIL.PngImagePlugin import PngInfo

SECRET = "Jane Doe, 12 Rue Secrete"  # what must never survive, in comments and text chunks
SERIAL = "SN-8841-2977"
XMP_NS = "http://ns.adobe.com/xap/1.0/"
XMP_PACKET = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    f'<rdf:Description xmlns:xmp="{XMP_NS}" xmp:CreatorTool="{SECRET}" '
    'xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="48,51.4N"/>'
    "</rdf:RDF></x:xmpmeta>"
).encode()
ORIENTATION = 0x0112
EXIF_IFD = 0x8769
GPS_IFD = 0x8825
TINY_EMBEDDED_JPEG_SIZE = (16, 12)


def photo(width: int = 640, height: int = 480, seed: int = 1) -> Image.Image:
    """Photo-like RGB content: gradients, noise and a few shapes (not a flat colour)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    phase = rng.uniform(0, 6.28, 3)
    base = np.stack(
        [
            128 + 100 * np.sin(x / (width / 3) + phase[0]),
            128 + 100 * np.cos(y / (height / 2) + phase[1]),
            (x + y) * 255 / (width + height) * np.cos(phase[2]) ** 2,
        ],
        axis=-1,
    )
    noise = rng.normal(0, 10, (height, width, 3))
    image = Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x0, y0 = int(rng.integers(0, width - 20)), int(rng.integers(0, height - 20))
        size = int(rng.integers(10, max(11, width // 4)))
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        draw.ellipse((x0, y0, x0 + size, y0 + size), fill=colour)
    return image


def asymmetric(width: int = 120, height: int = 80) -> Image.Image:
    """Red top-left quadrant on blue: any rotation or flip is visible in the pixels."""
    image = Image.new("RGB", (width, height), (0, 0, 255))
    ImageDraw.Draw(image).rectangle((0, 0, width // 2 - 1, height // 2 - 1), fill=(255, 0, 0))
    return image


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def identifying_exif(orientation: int | None = None) -> bytes:
    """EXIF with GPS, camera make/model, serial number, date and an embedded JPEG."""
    exif = Image.Exif()
    exif[0x010F] = "Leica"
    exif[0x0110] = f"Camera {SERIAL}"
    exif[0x0131] = SECRET
    if orientation is not None:
        exif[ORIENTATION] = orientation
    details = exif.get_ifd(EXIF_IFD)
    details[0xA431] = SERIAL  # BodySerialNumber
    details[0x9003] = "2024:05:01 12:34:56"  # DateTimeOriginal
    details[0x927C] = _encode(Image.new("RGB", TINY_EMBEDDED_JPEG_SIZE, "green"), "JPEG")
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2] = "N", (48.0, 51.0, 29.0)
    gps[3], gps[4] = "E", (2.0, 17.0, 40.0)
    return exif.tobytes()


def icc_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def with_segment(jpeg: bytes, marker: int, payload: bytes) -> bytes:
    """Insert a JPEG marker segment right after SOI."""
    segment = struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload
    return jpeg[:2] + segment + jpeg[2:]


def iptc_segment() -> bytes:
    """An APP13 Photoshop/IPTC block naming the author (By-line, 2:80)."""
    record = b"\x1c\x02\x50" + struct.pack(">H", len(SECRET)) + SECRET.encode()
    resource = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(record)) + record
    return b"Photoshop 3.0\x00" + resource


def jpeg_with_metadata(
    image: Image.Image | None = None, orientation: int | None = None, quality: int = 85
) -> bytes:
    """JPEG carrying EXIF (GPS, serial, embedded thumbnail), XMP, IPTC, ICC and a comment."""
    image = image if image is not None else photo()
    data = _encode(
        image,
        "JPEG",
        quality=quality,
        exif=identifying_exif(orientation),
        icc_profile=icc_profile(),
        comment=SECRET,
        xmp=XMP_PACKET,
    )
    return with_segment(data, 0xED, iptc_segment())


def png_with_metadata(image: Image.Image | None = None) -> bytes:
    """PNG with tEXt, zTXt, iTXt (incl. XMP), tIME, eXIf and an ICC profile."""
    image = image if image is not None else photo(320, 240)
    info = PngInfo()
    info.add_text("Author", SECRET)
    info.add_text("Comment", f"compressed {SECRET}", zip=True)
    info.add_itxt("Description", f"international {SECRET}", lang="fr", tkey="Description")
    info.add_itxt("XML:com.adobe.xmp", XMP_PACKET.decode())
    info.add(b"tIME", struct.pack(">HBBBBB", 2024, 5, 1, 12, 34, 56))
    return _encode(image, "PNG", pnginfo=info, exif=identifying_exif(), icc_profile=icc_profile())


def animation_frames(count: int = 4, size: tuple[int, int] = (64, 48)) -> list[Image.Image]:
    """Distinct frames: a moving square and a moving transparent hole."""
    frames = []
    for index in range(count):
        frame = Image.new("RGBA", size, (20 * index, 80, 160, 255))
        draw = ImageDraw.Draw(frame)
        draw.rectangle((index * 8, 10, index * 8 + 12, 22), fill=(250, 220, 0, 255))
        draw.rectangle((index * 4, 0, index * 4 + 7, 7), fill=(0, 0, 0, 0))
        frames.append(frame)
    return frames


def gif_with_metadata(
    count: int = 4, durations: tuple[int, ...] | None = None, transparent: bool = True
) -> bytes:
    """Animated GIF with a comment, looping, and a private application extension."""
    frames = animation_frames(count)
    if not transparent:
        frames = [frame.convert("RGB") for frame in frames]
    durations = durations or tuple(100 + 20 * index for index in range(count))
    data = _encode(
        frames[0],
        "GIF",
        save_all=True,
        append_images=frames[1:],
        duration=list(durations),
        loop=0,
        comment=SECRET,
        disposal=2 if transparent else 1,
    )
    return _with_gif_application_extension(data, b"LEFTBOOK", b"1.0", SECRET.encode())


def photo_gif(count: int = 20) -> bytes:
    """A photo-like animated GIF where little moves: Pillow stores small delta frames."""
    base = photo(320, 180).quantize(128)
    frames = []
    for index in range(count):
        frame = base.copy()
        frame.paste(index % 128, (index * 10, 50, index * 10 + 40, 90))
        frames.append(frame)
    return _encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=40, loop=0)


def _with_gif_application_extension(gif: bytes, name: bytes, code: bytes, body: bytes) -> bytes:
    flags = gif[10]
    at = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    extension = b"\x21\xff\x0b" + name + code + bytes([len(body)]) + body + b"\x00"
    return gif[:at] + extension + gif[at:]


def webp_animation(count: int = 5, lossless: bool = True) -> bytes:
    """Animated WebP with EXIF and XMP chunks."""
    frames = animation_frames(count)
    return _encode(
        frames[0],
        "WEBP",
        save_all=True,
        append_images=frames[1:],
        duration=[90] * count,
        loop=0,
        lossless=lossless,
        exif=identifying_exif(),
        xmp=XMP_PACKET,
    )


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_declaring(width: int, height: int, idat: bytes = b"") -> bytes:
    """A PNG whose header declares any size, followed by whatever image data is given."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", idat or zlib.compress(b"\0" * 64))
        + png_chunk(b"IEND", b"")
    )


def png_bomb(width: int = 10_000, height: int = 5_000) -> bytes:
    """A real decompression bomb: a few tens of KB that inflate to width x height bytes."""
    compressor = zlib.compressobj(9)
    row = b"\0" * (width + 1)
    chunks = [compressor.compress(row) for _ in range(height)]
    return png_declaring(width, height, b"".join(chunks) + compressor.flush())


def gif_frame_bomb(count: int = 3) -> bytes:
    """A 10x10 GIF whose frames claim positions far outside the canvas."""
    data = _encode(Image.new("P", (10, 10)), "GIF")
    descriptor = data.index(b"\x2c\x00\x00\x00\x00")
    far = b"\x2c" + struct.pack("<HHHH", 60_000, 60_000, 10, 10) + b"\x00"
    frame = far + data[descriptor + 10 : -1]
    return data[:-1] + frame * count + b";"


def with_zip_appended(image_bytes: bytes) -> bytes:
    """A polyglot: a valid image that is also a zip archive."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("secret.txt", SECRET)
    return image_bytes + archive.getvalue()


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>'
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
TEXT = b"just some text, named cat.jpg\n"


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz_tag(x: float, y: float, z: float) -> bytes:
    return b"XYZ \0\0\0\0" + _s15(x) + _s15(y) + _s15(z)


def swapped_primaries_profile() -> bytes:
    """An ICC v2 RGB profile whose red and green primaries are sRGB's green and red.

    Converting through it turns pure red into green: proof that a conversion happened.
    """
    description = b"Swapped primaries\0"
    tags = {
        b"desc": b"desc\0\0\0\0" + struct.pack(">I", len(description)) + description
        + b"\0" * 8 + b"\0\0\0" + b"\0" * 67,
        b"wtpt": _xyz_tag(0.9642, 1.0, 0.8249),
        b"rXYZ": _xyz_tag(0.3851, 0.7169, 0.0971),
        b"gXYZ": _xyz_tag(0.4361, 0.2225, 0.0139),
        b"bXYZ": _xyz_tag(0.1431, 0.0606, 0.7141),
        **{name: b"curv\0\0\0\0" + struct.pack(">IH", 1, 0x0233) + b"\0\0"
           for name in (b"rTRC", b"gTRC", b"bTRC")},
    }  # fmt: skip
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for name, tag in tags.items():
        table += name + struct.pack(">II", offset + len(body), len(tag))
        body += tag + b"\0" * (-len(tag) % 4)
    size = offset + len(body)
    header = (
        struct.pack(">I4sI", size, b"\0\0\0\0", 0x02100000)
        + b"mntrRGB XYZ "
        + b"\0" * 12
        + b"acsp"
        + b"\0" * 24
        + struct.pack(">I", 0)
        + _s15(0.9642) + _s15(1.0) + _s15(0.8249)
        + b"\0" * 48
    )  # fmt: skip
    return header + struct.pack(">I", len(tags)) + table + body
