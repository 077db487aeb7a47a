"""Uploads leak nothing: metadata gone, orientation applied, refusals fast."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image, ImageSequence

from leftbook.media import FileLimits, phash_distance, process_upload
from leftbook.refusal import Refusal
from tests.images import (
    PDF,
    SECRET,
    SERIAL,
    SVG,
    TEXT,
    XMP_NS,
    XMP_PACKET,
    animation_frames,
    asymmetric,
    gif_frame_bomb,
    gif_with_metadata,
    icc_profile,
    identifying_exif,
    jpeg_with_metadata,
    photo,
    photo_gif,
    png_bomb,
    png_declaring,
    png_with_metadata,
    swapped_primaries_profile,
    webp_animation,
    with_zip_appended,
)

LIMITS = FileLimits()
LEAK_MARKERS = (
    b"Exif",
    b"GPS",
    XMP_NS.encode(),
    b"ICC_PROFILE",
    b"iCCP",
    b"eXIf",
    b"tEXt",
    b"iTXt",
    b"zTXt",
    b"tIME",
    b"Photoshop",
    b"8BIM",
    b"Leica",
    b"LEFTBOOK",
    b"PK\x03\x04",
    SECRET.encode(),
    SERIAL.encode(),
)
METADATA_INFO_KEYS = {"exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment"}


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def assert_no_metadata(data: bytes) -> None:
    """Parse the bytes and scan them raw: nothing identifying may be left."""
    for marker in LEAK_MARKERS:
        assert marker not in data, marker
    image = decode(data)
    assert not image.getexif()
    assert not METADATA_INFO_KEYS & set(image.info)
    assert not getattr(image, "text", {})
    if image.format == "JPEG":
        assert [marker for marker, _ in image.applist] == ["APP0"]  # JFIF only
        assert data.count(b"\xff\xd8\xff") == 1  # no JPEG hidden inside
    if image.format == "GIF":
        extension = image.info.get("extension")
        assert extension is None or extension[0] == b"NETSCAPE2.0"  # looping only
        assert data.count(b"\x21\xff") <= 1  # at most NETSCAPE2.0 (looping)
        assert data.count(b"\x21\xfe") == 0  # no comment extension


def pixels(image: Image.Image, mode: str = "RGBA") -> np.ndarray:
    return np.asarray(image.convert(mode), dtype=np.int16)


UPLOADS_WITH_METADATA = {
    "jpeg": lambda: jpeg_with_metadata(orientation=1),
    "png": png_with_metadata,
    "gif-animated": gif_with_metadata,
    "webp-animated": webp_animation,
    "webp-still": lambda: encode(
        photo(200, 150), "WEBP", exif=identifying_exif(), xmp=XMP_PACKET, icc_profile=icc_profile()
    ),
    "jpeg-polyglot": lambda: with_zip_appended(jpeg_with_metadata()),
    "png-polyglot": lambda: with_zip_appended(png_with_metadata()),
    "gif-polyglot": lambda: with_zip_appended(gif_with_metadata()),
}


@pytest.mark.parametrize("name", UPLOADS_WITH_METADATA)
def test_no_metadata_survives_in_file_or_thumbnail(name):
    upload = UPLOADS_WITH_METADATA[name]()
    assert any(marker in upload for marker in LEAK_MARKERS)  # the fixture really carries some
    result = process_upload(upload, LIMITS)
    assert_no_metadata(result.data)
    assert_no_metadata(result.thumb)


def test_polyglot_stores_only_the_reencoded_image():
    upload = with_zip_appended(png_with_metadata())
    result = process_upload(upload, LIMITS)
    assert result.data.endswith(b"IEND\xaeB`\x82")
    assert result.fsize == len(result.data) < len(upload)


@pytest.mark.parametrize(
    ("orientation", "red_corner"),
    [(1, "top-left"), (3, "bottom-right"), (6, "top-right"), (8, "bottom-left")],
)
def test_exif_orientation_is_applied_to_the_pixels(orientation, red_corner):
    upload = jpeg_with_metadata(asymmetric(120, 80), orientation=orientation, quality=95)
    result = process_upload(upload, LIMITS)
    expected_size = (80, 120) if orientation in (6, 8) else (120, 80)
    for data in (result.data, result.thumb):
        image = decode(data).convert("RGB")
        assert image.size == expected_size
        assert not image.getexif()
        width, height = image.size
        corners = {
            "top-left": (5, 5),
            "top-right": (width - 6, 5),
            "bottom-left": (5, height - 6),
            "bottom-right": (width - 6, height - 6),
        }
        for corner, position in corners.items():
            red, _, blue = image.getpixel(position)
            assert (red > 200 and blue < 60) == (corner == red_corner), (corner, position)
    assert (result.w, result.h) == expected_size


@pytest.mark.parametrize("quality", [60, 75, 85, 95, 100])
def test_jpeg_stays_jpeg_does_not_grow_and_stays_faithful(quality):
    source = photo(800, 600, seed=quality)
    upload = encode(source, "JPEG", quality=quality)
    result = process_upload(upload, LIMITS)
    stored = decode(result.data)
    assert stored.format == "JPEG" and result.ext == ".jpg"
    assert result.fsize <= len(upload)
    error = (pixels(stored, "RGB") - pixels(decode(upload), "RGB")).astype(float) ** 2
    assert 10 * np.log10(255**2 / error.mean()) > 33  # PSNR in dB: visually the same


def test_cmyk_jpeg_is_stored_as_rgb_jpeg():
    upload = encode(photo(200, 100).convert("CMYK"), "JPEG", quality=90)
    result = process_upload(upload, LIMITS)
    assert decode(result.data).mode == "RGB"


@pytest.mark.parametrize(
    ("fmt", "profile", "expected"),
    [
        ("JPEG", swapped_primaries_profile, (0, 255, 0)),  # converted to sRGB, then dropped
        ("JPEG", icc_profile, (255, 0, 0)),  # already sRGB: pixels kept
        ("PNG", swapped_primaries_profile, (255, 0, 0)),  # lossless wins: profile dropped only
    ],
)
def test_icc_profile_is_applied_to_jpeg_pixels_and_never_kept(fmt, profile, expected):
    upload = encode(Image.new("RGB", (64, 64), (255, 0, 0)), fmt, icc_profile=profile())
    result = process_upload(upload, LIMITS)
    stored = decode(result.data)
    assert "icc_profile" not in stored.info and b"ICC_PROFILE" not in result.data
    pixel = stored.getpixel((32, 32))
    assert all(abs(got - want) <= 3 for got, want in zip(pixel, expected, strict=True))


def transparent_palette() -> Image.Image:
    image = photo(90, 60).convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
    image.info["transparency"] = 3
    return image


LOSSLESS_SOURCES = {
    "rgb": lambda: photo(300, 200),
    "rgba": lambda: animation_frames(1, (300, 200))[0],
    "palette-transparent": transparent_palette,
    "grey": lambda: photo(120, 90).convert("L"),
    "grey-16-bit": lambda: Image.fromarray(
        np.arange(120 * 90, dtype=np.uint16).reshape(90, 120) * 7
    ),
}


@pytest.mark.parametrize("name", LOSSLESS_SOURCES)
def test_png_stays_lossless(name):
    source = LOSSLESS_SOURCES[name]()
    upload = encode(source, "PNG", **({"transparency": 3} if source.mode == "P" else {}))
    result = process_upload(upload, LIMITS)
    stored, original = decode(result.data), decode(upload)
    assert stored.format == "PNG" and result.ext == ".png"
    assert stored.mode == original.mode
    assert stored.info.get("transparency") == original.info.get("transparency")
    assert np.array_equal(pixels(stored, original.mode), pixels(original, original.mode))


def test_png_with_a_lying_name_is_stored_as_png():
    """There is no name to lie with: the type comes from the bytes."""
    result = process_upload(encode(photo(50, 40), "PNG"), LIMITS)
    assert result.ext == ".png" and decode(result.data).format == "PNG"


def frames_of(data: bytes) -> list[tuple[np.ndarray, int]]:
    image = Image.open(io.BytesIO(data))
    return [(pixels(frame), frame.info.get("duration")) for frame in ImageSequence.Iterator(image)]


ANIMATIONS = {
    "gif-transparent": lambda: gif_with_metadata(5),
    "gif-opaque": lambda: gif_with_metadata(5, transparent=False),
    "gif-photo": lambda: photo_gif(5),
    "webp-lossless": lambda: webp_animation(5, lossless=True),
}


@pytest.mark.parametrize("name", ANIMATIONS)
def test_animations_keep_frames_durations_and_loop(name):
    upload = ANIMATIONS[name]()
    result = process_upload(upload, LIMITS)
    assert result.animated and result.ext == "." + name.split("-")[0]
    stored, original = frames_of(result.data), frames_of(upload)
    assert len(stored) == len(original) == 5
    for (got, got_ms), (want, want_ms) in zip(stored, original, strict=True):
        assert got_ms == want_ms
        assert np.array_equal(got, want)
    assert decode(result.data).info.get("loop") == 0
    thumbnail = decode(result.thumb)
    assert getattr(thumbnail, "n_frames", 1) == 1
    assert result.thumb_ext == (".png" if "transparent" in name or "webp" in name else ".jpg")
    if result.thumb_ext == ".png":
        assert np.array_equal(pixels(thumbnail), original[0][0])  # first frame, not resized


def test_gif_frames_stay_small_deltas():
    """Whole-canvas frames are written back as deltas: the file does not balloon."""
    upload = photo_gif(20)
    result = process_upload(upload, LIMITS)
    assert decode(result.data).n_frames == 20
    assert result.fsize <= 1.2 * len(upload)


def test_lossy_webp_animation_keeps_its_frames():
    result = process_upload(webp_animation(4, lossless=False), LIMITS)
    assert decode(result.data).n_frames == 4


def refused(upload: bytes, limits: FileLimits = LIMITS) -> Refusal:
    with pytest.raises(Refusal) as caught:
        process_upload(upload, limits)
    assert str(caught.value)  # a message for the poster
    return caught.value


def test_too_many_bytes_is_413_before_anything_else():
    error = refused(TEXT * 100, FileLimits(max_bytes=len(TEXT)))
    assert error.status == 413 and "MiB" in str(error)


def test_too_many_pixels_is_413():
    error = refused(encode(photo(640, 480), "JPEG"), FileLimits(max_pixels=640 * 479))
    assert error.status == 413 and "megapixels" in str(error)


@pytest.mark.parametrize("kind", ["gif", "webp"])
def test_too_many_frames_is_413(kind):
    upload = gif_with_metadata(6) if kind == "gif" else webp_animation(6)
    assert process_upload(upload, FileLimits(max_frames=6)).animated
    error = refused(upload, FileLimits(max_frames=5))
    assert error.status == 413 and "frames" in str(error)


def test_decoded_size_counts_colour_channels_and_frames():
    """width x height x bytes a decoded pixel takes x frames, checked from the headers."""
    limits = FileLimits(max_decoded_bytes=100_000)
    assert process_upload(encode(photo(200, 200).convert("L"), "PNG"), limits).w == 200
    error = refused(encode(photo(200, 200), "PNG"), limits)  # RGB: 4 bytes a pixel decoded
    assert error.status == 413 and "too large once decoded" in str(error)
    five_frames = FileLimits(max_decoded_bytes=64 * 48 * 4 * 5)
    assert process_upload(gif_with_metadata(5), five_frames).animated
    assert refused(gif_with_metadata(6), five_frames).status == 413


def test_long_large_animation_is_413():
    error = refused(gif_with_metadata(6), FileLimits(max_animation_pixels=64 * 48 * 5))
    assert error.status == 413


def truncated(data: bytes) -> bytes:
    return data[: len(data) * 2 // 3]


MALFORMED = {
    "jpeg-truncated": lambda: truncated(encode(photo(), "JPEG")),
    "png-truncated": lambda: truncated(encode(photo(), "PNG")),
    "gif-truncated": lambda: truncated(gif_with_metadata()),
    "webp-truncated": lambda: truncated(encode(photo(), "WEBP")),
    "jpeg-header-only": lambda: b"\xff\xd8\xff\xe0\x00\x10JFIF",
    "jpeg-garbage": lambda: b"\xff\xd8\xff" + os.urandom(5000),
    "png-bad-crc": lambda: png_declaring(10, 10)[:29] + b"\0\0\0\0" + png_declaring(10, 10)[33:],
    "gif-garbage": lambda: b"GIF89a" + b"\xff" * 40,
    "webp-garbage": lambda: b"RIFF\x20\x00\x00\x00WEBPVP8 " + b"\x00" * 24,
    "png-zero-width": lambda: png_declaring(0, 10),
}


@pytest.mark.parametrize("name", MALFORMED)
def test_truncated_or_malformed_is_400(name):
    error = refused(MALFORMED[name]())
    assert error.status == 400 and "truncated or malformed" in str(error)


UNSUPPORTED = {
    "text-named-jpg": lambda: TEXT,
    "svg": lambda: SVG,
    "pdf": lambda: PDF,
    "empty": lambda: b"",
    "bmp": lambda: encode(photo(40, 30), "BMP"),
    "tiff": lambda: encode(photo(40, 30), "TIFF"),
    "zip": lambda: with_zip_appended(b""),
}


@pytest.mark.parametrize("name", UNSUPPORTED)
def test_unknown_type_is_415(name):
    error = refused(UNSUPPORTED[name]())
    assert error.status == 415 and "JPEG, PNG, GIF or WebP" in str(error)


BOMBS = {
    "declared-49-mpx-tiny-file": lambda: png_declaring(7000, 7000),
    "declared-2500-mpx": lambda: png_declaring(50_000, 50_000),
    "zlib-bomb-50-mpx": png_bomb,
    "gif-frames-outside-canvas": gif_frame_bomb,
}


@pytest.mark.parametrize("name", BOMBS)
def test_decompression_bomb_is_refused_from_its_header(name):
    """413, not the 400 a decode of the tiny/garbage pixel data would give, and at once."""
    upload = BOMBS[name]()
    assert len(upload) < 200_000
    started = time.perf_counter()
    error = refused(upload)
    assert time.perf_counter() - started < 0.5
    assert error.status == 413


def test_pillow_bomb_warning_as_error_is_still_a_clean_413():
    limits = FileLimits(max_pixels=10**10)
    before = Image.MAX_IMAGE_PIXELS
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        assert refused(png_declaring(10_000, 10_000), limits).status == 413
    assert before == Image.MAX_IMAGE_PIXELS


def test_concurrent_uploads_do_not_disturb_each_other():
    before = Image.MAX_IMAGE_PIXELS
    good = encode(photo(300, 200), "PNG")

    def attempt(index: int) -> int:
        try:
            process_upload(png_declaring(7000, 7000) if index % 2 else good, LIMITS)
        except Refusal as error:
            return error.status
        return 200

    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(attempt, range(16)))
    assert statuses == [200, 413] * 8
    assert before == Image.MAX_IMAGE_PIXELS


@pytest.mark.parametrize(
    ("source", "thumb_ext"),
    [
        (lambda: encode(photo(1200, 900), "JPEG"), ".jpg"),
        (lambda: encode(animation_frames(1, (600, 300))[0], "PNG"), ".png"),
        (lambda: encode(photo(600, 300).convert("RGBA"), "PNG"), ".jpg"),  # opaque alpha
        (lambda: encode(transparent_palette(), "PNG", transparency=3), ".png"),
    ],
)
def test_thumbnail_fits_the_box_and_keeps_transparency_only_when_needed(source, thumb_ext):
    upload = source()
    result = process_upload(upload, FileLimits(thumb_size=125))
    thumbnail = decode(result.thumb)
    assert result.thumb_ext == thumb_ext
    assert thumbnail.format == {".jpg": "JPEG", ".png": "PNG"}[thumb_ext]
    assert (thumbnail.width, thumbnail.height) == (result.tn_w, result.tn_h)
    assert max(result.tn_w, result.tn_h) == min(125, max(result.w, result.h))
    assert abs(result.tn_w / result.tn_h - result.w / result.h) < 0.05
    if thumb_ext == ".png":
        assert thumbnail.mode == "RGBA" and thumbnail.getchannel("A").getextrema()[0] == 0


def test_thumbnail_of_16_bit_grey_is_not_blank():
    ramp = np.tile(np.linspace(0, 65535, 400, dtype=np.uint16), (300, 1))
    result = process_upload(encode(Image.fromarray(ramp), "PNG"), LIMITS)
    low, high = decode(result.thumb).convert("L").getextrema()
    assert low < 20 and high > 235


def test_small_image_thumbnail_is_not_enlarged():
    result = process_upload(encode(photo(100, 50), "JPEG"), LIMITS)
    assert (result.tn_w, result.tn_h) == (100, 50)


def test_identity_fields_follow_the_stored_bytes():
    result = process_upload(jpeg_with_metadata(), LIMITS)
    assert result.tim == hashlib.sha256(result.data).hexdigest()
    assert result.md5 == base64.b64encode(hashlib.md5(result.data).digest()).decode()
    assert result.fsize == len(result.data)
    assert process_upload(jpeg_with_metadata(), LIMITS).tim == result.tim  # deterministic


def reencoded(image: Image.Image, fmt: str = "JPEG", **options: object) -> str:
    return process_upload(encode(image, fmt, **options), LIMITS).phash


def test_phash_matches_altered_copies_and_not_other_pictures():
    original = photo(800, 600, seed=7)
    banned = reencoded(original, quality=90)
    brighter = Image.fromarray(np.clip(pixels(original, "RGB") + 8, 0, 255).astype(np.uint8))
    scribbled = original.copy()
    scribbled.paste((255, 255, 255), (10, 10, 40, 40))
    one_pixel = original.copy()
    one_pixel.putpixel((400, 300), (255, 0, 0))
    copies = {
        "resized": reencoded(original.resize((400, 300)), quality=90),
        "recompressed": reencoded(original, quality=40),
        "png": reencoded(original, "PNG"),
        "one-pixel": reencoded(one_pixel, quality=90),
        "brighter": reencoded(brighter, quality=90),
        "scribbled": reencoded(scribbled, quality=90),
    }
    for name, phash in copies.items():
        assert phash_distance(banned, phash) <= 8, name
    for seed in (8, 9, 10):
        assert phash_distance(banned, reencoded(photo(800, 600, seed=seed))) > 16
    assert phash_distance(banned, banned) == 0
    with pytest.raises(ValueError):
        phash_distance(banned, banned + "0")


FUZZ_SEEDS = {
    "jpeg": lambda: jpeg_with_metadata(photo(64, 48)),
    "png": lambda: png_with_metadata(photo(64, 48)),
    "gif": lambda: gif_with_metadata(3),
    "webp": lambda: webp_animation(3, lossless=False),
}


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns about the corrupt EXIF it skips
@pytest.mark.parametrize("name", FUZZ_SEEDS)
def test_corrupted_files_are_refused_cleanly_or_stored_clean(name):
    """Random byte damage never escapes as anything but a Refusal or a clean image."""
    original = FUZZ_SEEDS[name]()
    rng = np.random.default_rng(list(FUZZ_SEEDS).index(name))
    for _ in range(150):
        damaged = bytearray(original)
        for position in rng.integers(0, len(damaged), int(rng.integers(1, 6))):
            damaged[position] = int(rng.integers(0, 256))
        if rng.random() < 0.3:
            del damaged[int(rng.integers(0, len(damaged))) :]
        try:
            result = process_upload(bytes(damaged), LIMITS)
        except Refusal as error:
            assert error.status in (400, 413, 415)
            continue
        assert SECRET.encode() not in result.data
        decode(result.data)


def standard_tables(image: Image.Image, quality: int) -> dict:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality, subsampling=2)
    return Image.open(out).quantization


def test_a_jpeg_loses_the_quantisation_tables_of_its_camera():
    camera = {0: [2 + (i * 7) % 13 for i in range(64)], 1: [3 + (i * 5) % 11 for i in range(64)]}
    out = io.BytesIO()
    photo(640, 480, seed=9).save(out, "JPEG", qtables=camera, subsampling=1)
    stored = decode(process_upload(out.getvalue(), LIMITS).data)
    assert stored.quantization != camera
    site_tables = [standard_tables(stored, quality) for quality in (85, 75, 60)]
    assert stored.quantization in site_tables
    assert stored.layer[0][1:3] == (2, 2)  # 4:2:0, the site's sampling, not the camera's 4:2:2
