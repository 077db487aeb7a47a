"""Value types shared by the media modules: limits, the processed image, the error."""

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
class ProcessedImage:
    """A re-encoded upload and its thumbnail, ready to store; field names follow 4chan's API."""

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
    animated: bool

    def __repr__(self) -> str:
        return f"ProcessedImage({self.tim}{self.ext}, {self.w}x{self.h}, {self.fsize} bytes)"
