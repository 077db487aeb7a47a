"""Uploads that leak nothing: detect, bound, clean (re-encode), thumbnail, store by hash.

Pure domain code (no Flask, no database). The posting code calls ``clean_upload``, which
checks what it can from the headers in the server and runs the decoding and re-encoding
in a worker process of a ``WorkerPool`` (``pool``; kinds and their cleaners are in
``cleaners``); it then stores the result in the site's ``FileStore``, which serving,
deletion and pruning use too. ``process_upload`` is the image cleaner itself, in-process.
"""

from __future__ import annotations

from leftbook.media.cleaners import CLEANERS, detect
from leftbook.media.image import process_upload
from leftbook.media.pool import PoolLimits, WorkerPool, shared_pool
from leftbook.media.probe import mib
from leftbook.media.store import FileStore
from leftbook.media.thumb import phash_distance
from leftbook.media.types import FileLimits, ProcessedImage
from leftbook.refusal import Refusal

__all__ = [
    "FileLimits",
    "FileStore",
    "PoolLimits",
    "ProcessedImage",
    "WorkerPool",
    "clean_upload",
    "phash_distance",
    "process_upload",
    "shared_pool",
]


def clean_upload(data: bytes, limits: FileLimits, pool: WorkerPool) -> ProcessedImage:
    """Check an upload from its headers here, then clean it in one of `pool`'s workers;
    raises a Refusal (413/415 from the headers, 503 when the pool is full, 4xx refused)."""
    if len(data) > limits.max_bytes:
        raise Refusal(f"The file is larger than {mib(limits.max_bytes)}.", 413)
    kind = detect(data)
    cleaner = CLEANERS[kind]
    if cleaner.precheck is not None:
        cleaner.precheck(data, limits)
    return pool.clean(kind, data, limits)
