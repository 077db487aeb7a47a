"""Every kind of file the site accepts, and the cleaner that rewrites it.

A cleaner runs inside a media worker process (see ``pool``), never in the server: it gets
the upload's bytes and its kind's limits and returns a result dataclass of plain fields
(str, int, float, bool, bytes, None), or raises a ``Refusal``. Adding a kind is one
function and one entry in ``CLEANERS``; ``sniff`` recognises the kind by content,
``precheck`` refuses from headers alone in the server before a worker is used, and
``verify`` checks in the server what a worker returned.

Kinds: "image" (JPEG, PNG, GIF, WebP), "pdf", "epub", "video" (WebM, MP4; one without a
picture comes back as "audio") and "audio" (Ogg, MP3).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from leftbook.media import av, epub, epubzip, image, pdf
from leftbook.media.result import verifier
from leftbook.media.types import (
    CleanedFile,
    EpubLimits,
    FileLimits,
    MediaLimits,
    PdfLimits,
    ProcessedImage,
)
from leftbook.refusal import Refusal


@dataclass(frozen=True)
class Cleaner:
    clean: Callable[[bytes, Any], Any]  # (data, limits) -> result; runs in a worker
    limits: type  # a dataclass of plain values, sent to the worker as JSON
    result: type  # a dataclass of plain fields, sent back as JSON and blobs
    sniff: Callable[[bytes], bool]
    precheck: Callable[[bytes, Any], None] | None = None
    verify: Callable[[Any], Any] | None = None
    label: str = ""  # what a refusal calls the kind


CLEANERS: dict[str, Cleaner] = {
    "image": Cleaner(clean=image.process_upload, limits=FileLimits, result=ProcessedImage,
                     sniff=image.is_image, precheck=image.precheck, verify=image.verified,
                     label="images"),
    "pdf": Cleaner(clean=pdf.clean_pdf, limits=PdfLimits, result=CleanedFile,
                   sniff=pdf.is_pdf, verify=verifier(("pdf",)), label="PDF documents"),
    "epub": Cleaner(clean=epub.clean_epub, limits=EpubLimits, result=CleanedFile,
                    sniff=epubzip.is_epub, verify=verifier(("epub",)), label="EPUB books"),
    "video": Cleaner(clean=av.clean_media, limits=MediaLimits, result=CleanedFile,
                     sniff=av.is_video, verify=verifier(("video", "audio")), label="video"),
    "audio": Cleaner(clean=av.clean_media, limits=MediaLimits, result=CleanedFile,
                     sniff=av.is_audio, verify=verifier(("audio",)), label="audio"),
}
KINDS = tuple(CLEANERS)
UNKNOWN = ("This file is of no kind the site takes: images (JPEG, PNG, GIF, WebP), PDF, "
           "EPUB, video (WebM, MP4) and audio (Ogg, MP3), as each board allows.")


def detect(data: bytes) -> str:
    """The kind of an upload, from its content only; refuses (415) what no cleaner takes."""
    for kind, cleaner in CLEANERS.items():
        if cleaner.sniff(data):
            return kind
    raise Refusal(UNKNOWN, 415)
