"""The image cleaner: check, re-encode and thumbnail a JPEG, PNG, GIF or WebP.

``process_upload`` is the whole job and runs inside a worker process (see ``pool``);
``precheck`` is what the server checks itself before a job is queued, and ``verified``
is what the server checks of a result that comes back from a worker.
ICC profiles: a JPEG with a non-sRGB profile (or CMYK) is converted to sRGB before the
profile is dropped; PNG, GIF and WebP keep their exact pixels and lose the profile.
"""

from __future__ import annotations

import dataclasses
import hashlib

from leftbook.media.encode import EXTENSIONS, reencode
from leftbook.media.probe import MALFORMED, PILLOW_INPUT_ERRORS, check_scans, probe, sniff
from leftbook.media.result import md5_base64
from leftbook.media.thumb import THUMB_EXTENSIONS, make_thumbnail, perceptual_hash
from leftbook.media.types import FileLimits, ProcessedImage
from leftbook.refusal import Refusal


def is_image(data: bytes) -> bool:
    """The magic bytes of a JPEG, PNG, GIF or WebP (Pillow still has the last word)."""
    return sniff(data) is not None


def precheck(data: bytes, limits: FileLimits) -> None:
    """What the server checks itself before a worker is used: only what takes constant time
    or one pass at C speed (a JPEG's scans). Pillow's header parsers are Python loops that
    a crafted 8 MB file keeps busy for seconds (2 million empty JPEG segments: 4 s), so
    ``probe`` runs in the worker, under its CPU limit, like the decoding."""
    check_scans(sniff(data), data, limits)


def process_upload(data: bytes, limits: FileLimits) -> ProcessedImage:
    """Check, re-encode and thumbnail an upload; raise a Refusal (400/413/415) to refuse it."""
    checked = probe(data, limits)
    try:
        encoded = reencode(checked, len(data))
        thumbnail, thumb_data, thumb_ext = make_thumbnail(encoded.first_frame, limits.thumb_size)
    except Refusal:
        raise
    except PILLOW_INPUT_ERRORS as exc:
        raise Refusal(MALFORMED, 400) from exc
    finally:
        checked.image.close()
    width, height = encoded.first_frame.size
    return ProcessedImage(
        kind="image",
        tim=hashlib.sha256(encoded.data).hexdigest(),
        ext=encoded.ext,
        data=encoded.data,
        thumb=thumb_data,
        thumb_ext=thumb_ext,
        w=width,
        h=height,
        tn_w=thumbnail.width,
        tn_h=thumbnail.height,
        fsize=len(encoded.data),
        md5=md5_base64(encoded.data),
        phash=perceptual_hash(thumbnail),
        pages=0,
        duration=0,
        animated=encoded.animated,
    )


def verified(image: ProcessedImage) -> ProcessedImage:
    """A worker's result as the server will store it: names from the set the file store
    knows, identity fields recomputed from the bytes (a worker is not trusted with them)."""
    if image.ext not in EXTENSIONS.values() or image.thumb_ext not in THUMB_EXTENSIONS:
        raise ValueError(f"unexpected extensions {image.ext!r}, {image.thumb_ext!r}")
    if not image.data or not image.thumb or min(image.w, image.h, image.tn_w, image.tn_h) < 1:
        raise ValueError("empty image or thumbnail")
    return dataclasses.replace(image, tim=hashlib.sha256(image.data).hexdigest(),
                               md5=md5_base64(image.data), fsize=len(image.data))
