"""Value types shared by the media modules: limits of each kind, the cleaned results."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FileLimits:
    """Per-board upload limits, read from the board's TOML file."""

    max_bytes: int = 8 * 1024 * 1024
    max_pixels: int = 40_000_000
    max_frames: int = 500
    thumb_size: int = 250
    max_animation_pixels: int = 50_000_000  # width x height x frames: bounds CPU and memory
    # width x height x bytes a pixel takes decoded x frames: bounds a worker's memory
    max_decoded_bytes: int = 160_000_000
    # scans a JPEG may have: each one is a pass over every block (a progressive JPEG has
    # about 10; one with its last scan repeated 20 000 times took 46 s to decode)
    max_jpeg_scans: int = 100


@dataclass(frozen=True)
class PdfLimits:
    """Bounds on the work one PDF may cost."""

    max_bytes: int = 32 * 1024 * 1024
    max_pages: int = 2000
    max_objects: int = 400_000  # indirect objects reachable from the pages
    max_image_pixels: int = 40_000_000  # one embedded image, decoded
    max_total_pixels: int = 400_000_000  # every embedded JPEG or JPEG 2000 re-encoded
    thumb_size: int = 250


@dataclass(frozen=True)
class EpubLimits:
    """Bounds on the work one EPUB may cost (a zip: members, sizes, ratios)."""

    max_bytes: int = 16 * 1024 * 1024
    max_members: int = 2000
    max_member_bytes: int = 32 * 1024 * 1024  # one member, expanded
    max_expanded: int = 128 * 1024 * 1024  # every member, expanded
    max_ratio: int = 100  # expanded / compressed, for members over 64 KiB expanded
    max_image_pixels: int = 40_000_000
    max_total_pixels: int = 200_000_000
    thumb_size: int = 250


@dataclass(frozen=True)
class MediaLimits:
    """Bounds on a video or audio file; ffmpeg runs with its own rlimits (see ``child``)."""

    max_bytes: int = 64 * 1024 * 1024
    max_seconds: int = 1800
    max_width: int = 3840
    max_height: int = 2160  # either orientation: the longer side at most max_width
    max_fps: int = 60
    thumb_size: int = 250


@dataclass(frozen=True)
class CleanedFile:
    """Any cleaned upload ready to store (an image is a ``ProcessedImage``); `phash` is empty
    when the thumbnail is one of the site's icons, `pages` and `duration` 0 when they do not
    apply (pages of a PDF, sections of an EPUB's reading order; whole seconds)."""

    kind: str
    tim: str
    ext: str
    data: bytes
    thumb: bytes
    thumb_ext: str
    w: int
    h: int
    tn_w: int
    tn_h: int
    fsize: int
    md5: str
    phash: str
    pages: int
    duration: int

    def __repr__(self) -> str:
        return f"CleanedFile({self.kind}: {self.tim}{self.ext}, {self.fsize} bytes)"


@dataclass(frozen=True)
class ProcessedImage(CleanedFile):
    """A re-encoded picture (kind "image", no pages, no duration) that also says whether
    it moves; field names follow 4chan's API."""

    animated: bool = False
