"""Server time to accept an upload: process_upload + store, median of several runs; and
what hostile uploads cost the server, cleaned in the server's process (as before the
worker pool) and in the pool's workers.

Run: .venv/bin/python bench/media_bench.py [--runs N] [--hostile-only] [--skip-slow]
Compares against Pillow alone (decode + re-encode, and a thumbnail) on the same input.
Each hostile case runs in a fresh interpreter, so its resident-memory figures are its own.
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

from leftbook.media import FileLimits, FileStore, WorkerPool, clean_upload, process_upload
from leftbook.refusal import Refusal


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


def scan_bomb(size: int = 2000, repeats: int = 20_000) -> bytes:
    """Issue 14's progressive JPEG: 304 KB, its last scan repeated 20 000 times."""
    data = encoded(Image.new("RGB", (size, size), (120, 130, 140)), "JPEG", progressive=True)
    last_scan = data.rindex(b"\xff\xda")
    return data[:-2] + data[last_scan:-2] * repeats + data[-2:]


def webp_bomb(size: int = 6000) -> bytes:
    """Issue 14's lossless WebP: 6000x6000 in 1.4 KB."""
    return encoded(Image.new("RGB", (size, size), "white"), "WEBP", lossless=True)


BOMBS = {"scan": scan_bomb, "webp": webp_bomb}
# "inprocess": the server decodes, as before the pool (scan limit lifted, as it had none)
MODES = ("inprocess", "pool", "pool-8")


def resident_mb() -> float:
    with open("/proc/self/status") as status:
        return int(next(x for x in status if x.startswith("VmRSS:")).split()[1]) / 1024


def outcome(action: Callable[[], object]) -> str:
    try:
        action()
    except Refusal as refusal:
        return f"{refusal.status} {refusal.message[:40]}"
    return "200 cleaned"


def hostile_case(bomb: str, mode: str) -> None:
    """One case, in this (fresh) process: time, outcomes and this process's memory."""
    data = BOMBS[bomb]()
    pool = WorkerPool()
    if mode != "inprocess":
        pool.start()
    before = resident_mb()
    peak, done = [before], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], resident_mb())
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    if mode == "inprocess":
        results = [outcome(lambda: process_upload(data, replace(FileLimits(),
                                                                max_jpeg_scans=10**9)))]
    else:
        uploads = 8 if mode == "pool-8" else 1
        with ThreadPoolExecutor(uploads) as senders:
            results = list(senders.map(
                lambda _: outcome(lambda: clean_upload(data, FileLimits(), pool)),
                range(uploads)))
    elapsed = time.perf_counter() - started
    time.sleep(0.5)
    done.set()
    sampler.join()
    pool.close()
    summary = ", ".join(f"{results.count(r)}x {r}" for r in dict.fromkeys(results))
    print(f"{bomb:5s} {mode:10s} {len(data) / 1000:7.1f} KB {elapsed:6.1f} s  server RSS "
          f"{before:4.0f} -> peak {peak[0]:5.0f} -> after {resident_mb():4.0f} MB  {summary}",
          flush=True)


def hostile(skip_slow: bool) -> None:
    for bomb in BOMBS:
        for mode in MODES:
            if skip_slow and bomb == "scan" and mode == "inprocess":
                print("scan  inprocess  (skipped: about 45 s)")
                continue
            subprocess.run([sys.executable, __file__, "--case", bomb, mode], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--hostile-only", action="store_true")
    parser.add_argument("--skip-slow", action="store_true")
    parser.add_argument("--case", nargs=2, metavar=("BOMB", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        hostile_case(*args.case)
        return
    if not args.hostile_only:
        speed(args.runs)
    hostile(args.skip_slow)


def speed(runs: int) -> None:
    jpeg = encoded(photo_like(4000, 3000, noise=12), "JPEG", quality=92)
    png = encoded(photo_like(1200, 900, noise=4), "PNG")
    print(f"12 MP JPEG: {len(jpeg) / 1e6:.1f} MB   PNG 1200x900: {len(png) / 1e6:.1f} MB")
    pool = WorkerPool()
    pool.start()
    with tempfile.TemporaryDirectory() as scratch:
        files = Path(scratch)
        rows = [
            ("12 MP JPEG  process_upload + store", accept(jpeg, files / "jpeg")),
            ("            process_upload alone", process_only(jpeg)),
            ("            clean_upload in a worker", lambda: clean_upload(jpeg, FileLimits(),
                                                                        pool)),
            ("            Pillow decode + re-encode", pillow_reencode(jpeg, "JPEG")),
            ("            Pillow thumbnail (draft)", pillow_thumbnail(jpeg)),
            ("2 MB PNG    process_upload + store", accept(png, files / "png")),
            ("            process_upload alone", process_only(png)),
            ("            clean_upload in a worker", lambda: clean_upload(png, FileLimits(),
                                                                        pool)),
            ("            Pillow decode + re-encode", pillow_reencode(png, "PNG")),
        ]
        for label, action in rows:
            print(f"{label:40s} {median_ms(action, runs):7.1f} ms (median of {runs})")
    pool.close()


if __name__ == "__main__":
    main()
