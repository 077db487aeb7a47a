"""What cleaning one file of each new kind costs: a 300-page PDF, a 5 MB EPUB, a 20 MB
1080p MP4 and a 10 MB MP3 (made here), each cleaned several times.

Run: .venv/bin/python bench/files_bench.py [--runs N] [--keep DIR]

Each case runs in a fresh interpreter under the media worker's own address-space limit
(1 GiB), so its figures are its own: wall time of the cleaner (median of the runs), the
peak resident memory of that process (what a worker holds; and what it held after importing
the cleaners, before the first file) and of its largest child (ffmpeg or ffprobe, read from
its VmHWM while it runs; the cleaner gives it an address-space limit of its own), and the
same file once through a real WorkerPool (the time a poster waits, IPC and the server's
checks included).
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CASE = """
import json, resource, subprocess, sys, time, types
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from leftbook.media import child, cleaners

def high_water(pid="self"):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0

peaks = [0]

def watched_run(args, timeout=None, capture_output=False, check=False, **options):
    # subprocess.run, reading the program's own VmHWM (reset at exec) every 5 ms
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               **options)
    while process.poll() is None:
        peaks[0] = max(peaks[0], high_water(process.pid))
        time.sleep(0.005)
    out, err = process.communicate()
    return subprocess.CompletedProcess(args, process.returncode, out, err)

child.subprocess = types.SimpleNamespace(run=watched_run, DEVNULL=subprocess.DEVNULL,
                                         TimeoutExpired=subprocess.TimeoutExpired)
kind, path, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
base = high_water()
cleaner = cleaners.CLEANERS[kind]
data = open(path, "rb").read()
times = []
for _ in range(runs):
    started = time.perf_counter()
    result = cleaner.clean(data, cleaner.limits())
    times.append(time.perf_counter() - started)
# VmHWM, not ru_maxrss: ru_maxrss survives exec, so it would count the forking parent
print(json.dumps({"times": times, "own": high_water(), "base": base, "child": peaks[0],
                  "out": len(result.data),
                  "kind": result.kind, "pages": result.pages, "duration": result.duration}))
"""


def pdf_300(directory: Path) -> Path:
    """300 pages of text, a distinct photo on every tenth page."""
    import pikepdf

    from tests.images import photo

    pdf = pikepdf.new()
    font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font,
                                                Subtype=pikepdf.Name.Type1,
                                                BaseFont=pikepdf.Name.Times_Roman))
    image = None
    for number in range(1, 301):
        lines = "".join(f"BT /F1 10 Tf 60 {770 - 13 * row} Td (Page {number}, line {row}: "
                        "the history of all hitherto existing society is the history of "
                        "class struggles.) Tj ET\n" for row in range(55))
        resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        if number % 10 == 1:
            jpeg = io.BytesIO()
            photo(1200, 900, seed=number).save(jpeg, "JPEG", quality=90)
            image = pikepdf.Stream(pdf, jpeg.getvalue(), Type=pikepdf.Name.XObject,
                                   Subtype=pikepdf.Name.Image, Width=1200, Height=900,
                                   ColorSpace=pikepdf.Name.DeviceRGB, BitsPerComponent=8,
                                   Filter=pikepdf.Name.DCTDecode)
            lines += "q 240 0 0 180 180 40 cm /Im1 Do Q\n"
            resources.XObject = pikepdf.Dictionary(Im1=image)
        pdf.pages.append(pikepdf.Page(pikepdf.Dictionary(
            Type=pikepdf.Name.Page, MediaBox=[0, 0, 612, 792], Resources=resources,
            Contents=pdf.make_stream(lines.encode()))))
    path = directory / "300-pages.pdf"
    pdf.save(path)
    return path


def epub_5mb(directory: Path) -> Path:
    from tests.epubs import plain_epub

    path = directory / "5mb.epub"
    path.write_bytes(plain_epub(5_000_000))
    return path


def mp4_20mb(directory: Path) -> Path:
    from tests.media_files import plain_video

    path = directory / "20mb-1080p.mp4"
    path.write_bytes(plain_video(directory, seconds=20, bitrate="8M"))
    return path


def mp3_10mb(directory: Path) -> Path:
    from tests.media_files import plain_mp3

    path = directory / "10mb.mp3"
    path.write_bytes(plain_mp3(directory, seconds=655))
    return path


CASES = [("300-page PDF", "pdf", pdf_300), ("5 MB EPUB", "epub", epub_5mb),
         ("20 MB 1080p MP4", "video", mp4_20mb), ("10 MB MP3", "audio", mp3_10mb)]


def through_pool(kind: str, path: Path) -> float:
    from leftbook.media import PoolLimits, WorkerPool, clean_file
    from leftbook.media.cleaners import CLEANERS

    pool = WorkerPool(PoolLimits(workers=1))
    try:
        pool.start()
        data = path.read_bytes()
        started = time.perf_counter()
        clean_file(data, {kind: CLEANERS[kind].limits()}, pool)
        return time.perf_counter() - started
    finally:
        pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the made files here")
    args = parser.parse_args()
    directory = args.keep or Path(tempfile.mkdtemp(prefix="leftbook-files-bench-"))
    directory.mkdir(parents=True, exist_ok=True)
    print(f"{'file':18} {'bytes':>10} {'clean s':>8} {'pool s':>7} {'worker RSS':>11} "
          f"{'(at start)':>10} {'ffmpeg RSS':>11} {'stored':>10}")
    for label, kind, make in CASES:
        path = make(directory)
        done = subprocess.run([sys.executable, "-c", CASE, kind, str(path), str(args.runs)],
                              capture_output=True, text=True, cwd=ROOT, check=True)
        found = json.loads(done.stdout)
        pooled = through_pool(kind, path)
        child = f"{found['child'] / 2**20:.0f} MiB" if kind in ("video", "audio") else "-"
        print(f"{label:18} {path.stat().st_size:>10} {statistics.median(found['times']):>8.2f} "
              f"{pooled:>7.2f} {found['own'] / 2**20:>7.0f} MiB {found['base'] / 2**20:>6.0f} MiB "
              f"{child:>11} {found['out']:>10}")


if __name__ == "__main__":
    main()
