"""Uploads that leak nothing: validate from headers, re-encode, thumbnail, store by hash.

Pure domain code (no Flask, no database). The posting code calls ``process_upload`` and
then stores the result in the site's ``FileStore``, which serving, deletion and pruning use too.
ICC profiles: a JPEG with a non-sRGB profile (or CMYK) is converted to sRGB before the
profile is dropped; PNG, GIF and WebP keep their exact pixels and lose the profile.
"""

from __future__ import annotations

import base64
import hashlib

from leftbook.media.encode import reencode
from leftbook.media.probe import MALFORMED, PILLOW_INPUT_ERRORS, probe
from leftbook.media.store import FileStore
from leftbook.media.thumb import (
    make_thumbnail,
    perceptual_hash,
    phash_distance,
)
from leftbook.media.types import FileLimits, ProcessedImage
from leftbook.refusal import Refusal

__all__ = [
    "FileLimits",
    "FileStore",
    "ProcessedImage",
    "phash_distance",
    "process_upload",
]


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
        md5=base64.b64encode(hashlib.md5(encoded.data).digest()).decode("ascii"),  # noqa: S324
        phash=perceptual_hash(thumbnail),
        animated=encoded.animated,
    )
