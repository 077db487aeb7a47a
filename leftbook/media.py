"""Uploads that leak nothing: validate from headers, re-encode, thumbnail, store by hash.

Pure domain code (no Flask, no database). The posting code calls ``process_upload`` and
then ``store``; serving code calls ``stored_path``; deletion and pruning call ``remove``.
ICC profiles: a JPEG with a non-sRGB profile (or CMYK) is converted to sRGB before the
profile is dropped; PNG, GIF and WebP keep their exact pixels and lose the profile.
"""

from __future__ import annotations

import base64
import hashlib

from leftbook.media_encode import reencode
from leftbook.media_probe import MALFORMED, PILLOW_INPUT_ERRORS, probe
from leftbook.media_store import remove, store, stored_path, sweep_partial_files
from leftbook.media_thumb import (
    make_thumbnail,
    perceptual_hash,
    phash_distance,
)
from leftbook.media_types import FileLimits, MediaError, ProcessedImage

__all__ = [
    "FileLimits",
    "MediaError",
    "ProcessedImage",
    "phash_distance",
    "process_upload",
    "remove",
    "store",
    "stored_path",
    "sweep_partial_files",
]


def process_upload(data: bytes, limits: FileLimits) -> ProcessedImage:
    """Check, re-encode and thumbnail an upload; raise MediaError (400/413/415) to refuse it."""
    checked = probe(data, limits)
    try:
        encoded = reencode(checked, len(data))
        thumbnail, thumb_data, thumb_ext = make_thumbnail(encoded.first_frame, limits.thumb_size)
    except MediaError:
        raise
    except PILLOW_INPUT_ERRORS as exc:
        raise MediaError(400, MALFORMED) from exc
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
