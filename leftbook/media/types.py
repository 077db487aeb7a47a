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
