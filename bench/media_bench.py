"""Server time to accept an upload: process_upload + store, median of several runs.

Run: .venv/bin/python bench/media_bench.py [--runs N]
Compares against Pillow alone (decode + re-encode, and a thumbnail) on the same input.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from leftbook.media import FileLimits, FileStore, process_upload


def photo_like(width: int, height: int, noise: float, seed: int = 1) -> Image.Image:
    """Gradients plus sensor-like noise: compresses like a photo, not like a flat colour."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack(
        [x * 255 / width, y * 255 / height, 128 + 100 * np.sin((x + y) / 300)], axis=-1
    )
    pixels = np.clip(base + rng.normal(0, noise, (height, width, 3)), 0, 255)
    return Image.fromarray(pixels.astype(np.uint8))


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def median_ms(action: Callable[[], object], runs: int) -> float:
    action()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def pillow_reencode(data: bytes, fmt: str) -> Callable[[], bytes]:
    def run() -> bytes:
        return encoded(Image.open(io.BytesIO(data)), fmt)

    return run


def pillow_thumbnail(data: bytes) -> Callable[[], None]:
    def run() -> None:
        image = Image.open(io.BytesIO(data))
        image.thumbnail((250, 250))
        encoded(image.convert("RGB"), "JPEG")

    return run


def accept(data: bytes, files_dir: Path) -> Callable[[], None]:
    """What the posting code does; each run stores into a fresh directory (no dedup shortcut)."""
    counter = iter(range(10**6))

    def run() -> None:
        FileStore(files_dir / str(next(counter))).store(process_upload(data, FileLimits()))

    return run


def process_only(data: bytes) -> Callable[[], object]:
    return lambda: process_upload(data, FileLimits())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    runs = parser.parse_args().runs
    jpeg = encoded(photo_like(4000, 3000, noise=12), "JPEG", quality=92)
    png = encoded(photo_like(1200, 900, noise=4), "PNG")
    print(f"12 MP JPEG: {len(jpeg) / 1e6:.1f} MB   PNG 1200x900: {len(png) / 1e6:.1f} MB")
    with tempfile.TemporaryDirectory() as scratch:
        files = Path(scratch)
        rows = [
            ("12 MP JPEG  process_upload + store", accept(jpeg, files / "jpeg")),
            ("            process_upload alone", process_only(jpeg)),
            ("            Pillow decode + re-encode", pillow_reencode(jpeg, "JPEG")),
            ("            Pillow thumbnail (draft)", pillow_thumbnail(jpeg)),
            ("2 MB PNG    process_upload + store", accept(png, files / "png")),
            ("            process_upload alone", process_only(png)),
            ("            Pillow decode + re-encode", pillow_reencode(png, "PNG")),
        ]
        for label, action in rows:
            print(f"{label:40s} {median_ms(action, runs):7.1f} ms (median of {runs})")


if __name__ == "__main__":
    main()
