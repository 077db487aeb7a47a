"""Re-encode an upload with Pillow so that only pixels (and animation timing) survive."""

from __future__ import annotations

import functools
import io
from collections.abc import Iterator
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageOps

from leftbook.media.probe import Probe

JPEG_QUALITIES = (85, 75, 60)  # the site's choice, never the upload's tables
WEBP_QUALITIES = (80, 60)
PNG_COMPRESS_LEVEL = 6  # zlib's default: level 1 is ~2x faster but files grow 15-40 %
ORIENTATION_TAG = 0x0112
EXTENSIONS = {"JPEG": ".jpg", "PNG": ".png", "GIF": ".gif", "WEBP": ".webp"}

@dataclass
class Encoded:
    """The re-encoded file and its first frame, decoded and upright, for the thumbnail."""

    data: bytes
    ext: str
    first_frame: Image.Image
    animated: bool


def reencode(probe: Probe, source_size: int) -> Encoded:
    """Decode and re-encode; raises Pillow's errors on malformed input."""
    if probe.frames > 1 and probe.kind != "JPEG":
        return _encode_animation(probe)
    source = probe.image
    source.load()
    upright = _upright(source)
    if probe.kind == "JPEG":
        upright = _to_srgb(upright, source.info.get("icc_profile"))
        _strip_info(upright)
        data = _encode_jpeg(upright, source_size)
    elif probe.kind == "WEBP":
        _strip_info(upright)
        data = _encode_webp(upright, probe.webp is not None and probe.webp.lossless, source_size)
    else:
        _strip_info(upright, keep=("transparency",))
        data = _save(upright, probe.kind, **_lossless_options(probe.kind))
    return Encoded(data, EXTENSIONS[probe.kind], upright, animated=False)


def _upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation to the pixels; a malformed EXIF block is just ignored."""
    try:
        orientation = image.getexif().get(ORIENTATION_TAG, 1)
    except (OSError, SyntaxError, ValueError, KeyError, IndexError, TypeError):
        return image
    if orientation in range(2, 9):
        return ImageOps.exif_transpose(image)
    return image


def _strip_info(image: Image.Image, keep: tuple[str, ...] = ()) -> None:
    """Forget every metadata item Pillow read, so no save path can write it back."""
    image.info = {key: image.info[key] for key in keep if key in image.info}


@functools.cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """Convert a JPEG with a non-sRGB profile (phones embed Display P3) or CMYK to sRGB."""
    if icc and image.mode in ("RGB", "CMYK"):
        try:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            if image.mode == "CMYK" or "srgb" not in ImageCms.getProfileDescription(
                profile
            ).lower().replace(" ", ""):
                return ImageCms.profileToProfile(image, profile, _srgb_profile(), outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass
    return image.convert("RGB") if image.mode == "CMYK" else image


def _encode_jpeg(upright: Image.Image, source_size: int) -> bytes:
    """The encoder's standard tables and 4:2:0 sampling at the site's qualities, highest
    first until the file is no larger: nothing of the camera's or editor's tables survives."""
    attempts = tuple({"quality": quality, "subsampling": 2, "optimize": True}
                     for quality in JPEG_QUALITIES)
    return _first_not_larger(upright, "JPEG", attempts, source_size)


def _encode_webp(image: Image.Image, lossless: bool, source_size: int) -> bytes:
    if lossless:
        return _save(image, "WEBP", lossless=True, exact=True)
    attempts = tuple({"quality": quality} for quality in WEBP_QUALITIES)
    return _first_not_larger(image, "WEBP", attempts, source_size)


def _first_not_larger(
    image: Image.Image, fmt: str, attempts: tuple[dict[str, object], ...], limit: int
) -> bytes:
    smallest = b""
    for options in attempts:
        data = _save(image, fmt, **options)
        if len(data) <= limit:
            return data
        if not smallest or len(data) < len(smallest):
            smallest = data
    return smallest


def _lossless_options(kind: str) -> dict[str, object]:
    return {"compress_level": PNG_COMPRESS_LEVEL} if kind == "PNG" else {}


def _save(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _encode_animation(probe: Probe) -> Encoded:
    """Keep every frame and its duration; loop count is kept, every other extension dropped."""
    source = probe.image
    loop = source.info.get("loop")
    if probe.kind == "WEBP":
        return _encode_webp_animation(probe, loop)
    frames = _clean_frames(source, probe.frames)
    first = next(frames)
    options: dict[str, object] = {"save_all": True, "append_images": frames}
    if loop is not None:
        options["loop"] = loop
    if probe.gif_reveals_holes:
        options["disposal"] = 2  # a pixel may turn transparent: clear before the next frame
    data = _save(first, probe.kind, **options, **_lossless_options(probe.kind))
    return Encoded(data, EXTENSIONS[probe.kind], first, animated=True)


def _clean_frames(source: Image.Image, count: int) -> Iterator[Image.Image]:
    """Each frame composited to a full canvas, carrying only its duration (and transparency)."""
    for index in range(count):
        source.seek(index)
        frame = _exact_palette(source.copy())
        frame.info = {"duration": source.info.get("duration", 0)}
        if "transparency" in source.info and frame.mode == "P":
            frame.info["transparency"] = source.info["transparency"]
        yield frame


def _exact_palette(frame: Image.Image) -> Image.Image:
    """An RGB frame of at most 256 colours as the same pixels in P mode: without this the GIF
    writer runs a median-cut quantizer on every frame, three times slower."""
    colours = frame.getcolors(256) if frame.mode == "RGB" else None
    if colours is None:
        return frame
    palette = Image.new("P", (1, 1))
    palette.putpalette(bytes(channel for _, rgb in colours for channel in rgb))
    return frame.quantize(palette=palette, dither=Image.Dither.NONE)


def _encode_webp_animation(probe: Probe, loop: int | None) -> Encoded:
    """The WebP writer takes only pixels from the source frames, so they are passed directly."""
    source = probe.image
    layout = probe.webp
    if layout is None or len(layout.durations) != probe.frames:
        raise ValueError("WebP animation frames do not match their headers")
    options: dict[str, object] = {"lossless": True} if layout.lossless else {"quality": 80}
    data = _save(
        source, "WEBP", save_all=True, duration=list(layout.durations), loop=loop or 0, **options
    )
    source.seek(0)
    first = source.copy()
    _strip_info(first)
    return Encoded(data, ".webp", first, animated=True)
