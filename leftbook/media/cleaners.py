"""Every kind of file the site accepts, and the cleaner that rewrites it.

A cleaner runs inside a media worker process (see ``pool``), never in the server: it gets
the upload's bytes and its kind's limits and returns a result dataclass of plain fields
(str, int, float, bool, bytes, None), or raises a ``Refusal``. Adding a kind (PDF, EPUB,
audio, video) is one function and one entry in ``CLEANERS``; ``sniff`` recognises the
kind by content, ``precheck`` refuses from headers alone in the server before a worker is
used, and ``verify`` checks in the server what a worker returned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from leftbook.media import image
from leftbook.media.probe import UNSUPPORTED
from leftbook.media.types import FileLimits, ProcessedImage
from leftbook.refusal import Refusal


@dataclass(frozen=True)
class Cleaner:
    clean: Callable[[bytes, Any], Any]  # (data, limits) -> result; runs in a worker
    limits: type  # a dataclass of plain values, sent to the worker as JSON
    result: type  # a dataclass of plain fields, sent back as JSON and blobs
    sniff: Callable[[bytes], bool]
    precheck: Callable[[bytes, Any], None] | None = None
    verify: Callable[[Any], Any] | None = None


CLEANERS: dict[str, Cleaner] = {
    "image": Cleaner(clean=image.process_upload, limits=FileLimits, result=ProcessedImage,
                     sniff=image.is_image, precheck=image.precheck, verify=image.verified),
}


def detect(data: bytes) -> str:
    """The kind of an upload, from its content only; refuses (415) what no cleaner takes."""
    for kind, cleaner in CLEANERS.items():
        if cleaner.sniff(data):
            return kind
    raise Refusal(UNSUPPORTED, 415)
