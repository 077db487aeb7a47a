"""Uploads that leak nothing: detect, bound, clean (rewrite), thumbnail, store by hash.

Pure domain code (no Flask, no database). The posting code calls ``clean_upload``, which
recognises the kind from the content, checks what it can from the headers in the server
and runs the decoding and rewriting in a worker process of a ``WorkerPool`` (``pool``;
kinds and their cleaners are in ``cleaners``); it then stores the result in the site's
``FileStore``, which serving, deletion and pruning use too. ``process_upload`` is the
image cleaner itself, in-process.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leftbook.media.cleaners import CLEANERS, KINDS, detect
from leftbook.media.image import process_upload
from leftbook.media.pool import PoolLimits, WorkerPool, shared_pool
from leftbook.media.probe import mib
from leftbook.media.result import EXTENSION_TYPES
from leftbook.media.store import FileStore
from leftbook.media.thumb import phash_distance
from leftbook.media.types import (
    CleanedFile,
    EpubLimits,
    FileLimits,
    MediaLimits,
    PdfLimits,
    ProcessedImage,
)
from leftbook.refusal import Refusal

__all__ = [
    "EXTENSION_TYPES",
    "KINDS",
    "CleanedFile",
    "EpubLimits",
    "FileLimits",
    "FileStore",
    "MediaLimits",
    "PdfLimits",
    "PoolLimits",
    "ProcessedImage",
    "WorkerPool",
    "clean_file",
    "clean_upload",
    "phash_distance",
    "process_upload",
    "shared_pool",
]


def clean_upload(data: bytes, limits: FileLimits, pool: WorkerPool) -> ProcessedImage:
    """Clean an image upload (what the site took before other kinds): `clean_file` with
    only images allowed, the image cleaner's own result."""
    kind = detect(data)
    if kind != "image":
        raise Refusal(_not_taken(kind, ("image",)), 415)
    return _clean(kind, data, limits, pool)


def clean_file(data: bytes, limits: Mapping[str, Any], pool: WorkerPool) -> CleanedFile:
    """Clean an upload of any kind in `limits` (kind -> that kind's limits) in one of
    `pool`'s workers; raises a Refusal (413/415 from the headers, 503 when the pool is
    full, 4xx refused, 415 a kind not in `limits`)."""
    kind = detect(data)
    if kind not in limits:
        raise Refusal(_not_taken(kind, tuple(limits)), 415)
    cleaned = _clean(kind, data, limits[kind], pool)
    if cleaned.kind not in limits:  # a WebM or MP4 with no picture is audio
        raise Refusal(_not_taken(cleaned.kind, tuple(limits)), 415)
    return cleaned


def _clean(kind: str, data: bytes, limits: Any, pool: WorkerPool) -> Any:
    if len(data) > limits.max_bytes:
        raise Refusal(f"The file is larger than {mib(limits.max_bytes)}"
                      f" (the limit for {CLEANERS[kind].label} here).", 413)
    cleaner = CLEANERS[kind]
    if cleaner.precheck is not None:
        cleaner.precheck(data, limits)
    return pool.clean(kind, data, limits)


def _not_taken(kind: str, allowed: tuple[str, ...]) -> str:
    labels = [CLEANERS[k].label for k in KINDS if k in allowed]
    taken = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    return f"This board does not take {CLEANERS[kind].label}: it takes {taken}."
