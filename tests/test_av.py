"""Video and audio are remuxed (or re-encoded) by a bounded ffmpeg: no tags, chapters,
subtitles, cover pictures or encoder strings survive, the result still decodes, and hostile
media are refused with a 4xx within bounded time, the server going on."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest

from leftbook.media import MediaLimits, PoolLimits, WorkerPool, clean_file
from leftbook.media.av import clean_media
from leftbook.media.process import SCRATCH_PREFIX
from leftbook.refusal import Refusal
from tests.documents import PLANT, leaks
from tests.media_files import (
    VERSIONED,
    decodes,
    ffmpeg,
    hostile_audio,
    hostile_video,
    needs_ffmpeg,
    probe,
)

pytestmark = [pytest.mark.slow, needs_ffmpeg]
LIMITS = MediaLimits()
ALLOWED_TAGS = {"major_brand", "minor_version", "compatible_brands", "encoder", "language",
                "handler_name", "vendor_id", "DURATION", "ENCODER"}
SITE_ENCODERS = {"Lavf", "Lavc libopus", "VideoHandler", "SoundHandler"}


def check_clean(result, directory: Path) -> dict:
    """Nothing planted, no versioned encoder string, only the first picture and sound, no
    chapters; the file decodes without an error."""
    assert leaks(result.data) == [] and leaks(result.thumb) == []
    assert [marker for marker in VERSIONED if marker in result.data] == []
    stored = directory / f"stored{result.ext}"
    stored.write_bytes(result.data)
    found = probe(stored)
    assert found["chapters"] == []
    kinds = [s["codec_type"] for s in found["streams"]]
    assert kinds in (["video", "audio"], ["audio"])
    for tags in [found["format"].get("tags", {}), *(s.get("tags", {}) for s in found["streams"])]:
        assert set(tags) <= ALLOWED_TAGS, tags
        assert all(str(value).startswith(tuple(SITE_ENCODERS)) or key not in (
            "encoder", "ENCODER", "handler_name") for key, value in tags.items())
    assert decodes(stored)
    return found


@pytest.mark.parametrize("container, codecs", [("mp4", ["h264", "aac"]),
                                               ("webm", ["vp9", "opus"])])
def test_video_keeps_picture_and_sound_and_nothing_identifying(tmp_path, container, codecs):
    data = hostile_video(tmp_path, container)
    assert PLANT.encode() in data and any(marker in data for marker in VERSIONED)
    result = clean_media(data, LIMITS)
    assert (result.kind, result.ext, result.w, result.h) == ("video", f".{container}", 320, 240)
    assert result.duration == 2 and result.phash, "a frame is the thumbnail"
    found = check_clean(result, tmp_path)
    assert [s["codec_name"] for s in found["streams"]] == codecs
    assert b"x264" not in result.data, "the SEI with x264's settings is gone"


@pytest.mark.parametrize("container, codec", [("mp3", "mp3"), ("ogg", "opus")])
def test_audio_keeps_its_sound_and_nothing_identifying(tmp_path, container, codec):
    data = hostile_audio(tmp_path, container)
    assert PLANT.encode() in data
    result = clean_media(data, LIMITS)
    assert (result.kind, result.ext, result.duration) == ("audio", f".{container}", 3)
    assert result.phash == "", "the audio icon matches no ban by likeness"
    found = check_clean(result, tmp_path)
    assert [s["codec_name"] for s in found["streams"]] == [codec], "the cover is gone"


def make(tmp_path: Path, name: str, *args: str) -> bytes:
    ffmpeg(*args, tmp_path / name, cwd=tmp_path)
    return (tmp_path / name).read_bytes()


def subtitles(tmp_path: Path) -> Path:
    path = tmp_path / "only.srt"
    path.write_text("1\n00:00:00,000 --> 00:00:01,000\nhello\n")
    return path


def hostile_media(tmp_path: Path) -> dict[str, tuple[bytes, int]]:
    good = hostile_video(tmp_path, "mp4")
    playlist = b"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nfile:///etc/passwd\n"
    return {
        "truncated": (good[: len(good) // 2], 400),
        "header only": (good[:64], 400),
        "playlist posing as MP4": (b"\0\0\0\x18ftypisom" + b"\0" * 12 + playlist, 400),
        "playlist posing as MP3": (b"ID3\x03\0\0\0\0\0\0" + playlist, 400),
        "too wide": (make(tmp_path, "wide.mp4", "-f", "lavfi", "-i",
                          "testsrc=size=4000x16:rate=5:duration=0.4", "-c:v", "libx264"), 413),
        "too fast": (make(tmp_path, "fast.mp4", "-f", "lavfi", "-i",
                          "testsrc=size=64x48:rate=240:duration=0.5", "-c:v", "libx264"), 413),
        "too long": (make(tmp_path, "long.ogg", "-f", "lavfi", "-i",
                          "anullsrc=r=8000:cl=mono", "-t", "40", "-c:a", "libopus"), 413),
        "subtitles only": (make(tmp_path, "subtitles.webm", "-i", subtitles(tmp_path),
                                "-c:s", "webvtt"), 415),
    }


def test_hostile_media_are_refused_quickly(tmp_path):
    limits = MediaLimits(max_seconds=30)
    for name, (data, status) in hostile_media(tmp_path).items():
        started = time.monotonic()
        with pytest.raises(Refusal) as refused:
            clean_media(data, limits)
        assert 400 <= refused.value.status < 500, name
        assert refused.value.status == status, (name, refused.value.message)
        assert time.monotonic() - started < 10, name
        assert b"root:" not in refused.value.message.encode()


def ffmpeg_children() -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        try:
            command = Path(f"/proc/{entry}/cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        if b"ffmpeg" in command and b"file:upload" in command:
            found.append(int(entry))
    return found


def scratch_dirs() -> set[str]:
    return {str(path) for parent in ("/dev/shm", tempfile.gettempdir())
            for path in Path(parent).glob(f"{SCRATCH_PREFIX}*")}


def test_ffmpeg_dies_with_a_worker_that_overran_and_the_pool_goes_on(tmp_path):
    """A 1080p MPEG-4 part 2 video must be re-encoded to H.264: seconds of work. With a wall
    clock of 1.5 s the server kills the worker, and the ffmpeg it started dies with it; the
    worker's scratch directory (holding the upload as sent) is removed by the server."""
    slow = make(tmp_path, "slow.mp4", "-f", "lavfi", "-i",
                "testsrc2=size=1920x1080:rate=30:duration=8", "-c:v", "mpeg4", "-q:v", "6")
    pool = WorkerPool(PoolLimits(workers=1, wall_seconds=1.5))
    before = scratch_dirs()
    try:
        with pytest.raises(Refusal) as refused:
            clean_file(slow, {"video": LIMITS}, pool)
        assert refused.value.status == 422
        assert scratch_dirs() <= before, "no copy of the upload is left behind"
        deadline = time.monotonic() + 5
        while ffmpeg_children() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert ffmpeg_children() == []
        small = hostile_video(tmp_path, "webm")
        assert clean_file(small, {"video": LIMITS}, pool).kind == "video"
    finally:
        pool.close()


def test_an_mp4_without_a_picture_is_audio(tmp_path):
    data = make(tmp_path, "talk.mp4", "-f", "lavfi", "-i", "sine=duration=2", "-c:a", "aac")
    pool = WorkerPool(PoolLimits(workers=1))
    try:
        result = clean_file(data, {"video": LIMITS, "audio": LIMITS}, pool)
        assert (result.kind, result.ext, result.w) == ("audio", ".mp4", 0)
        with pytest.raises(Refusal) as refused:
            clean_file(data, {"video": LIMITS}, pool)
        assert refused.value.status == 415 and "audio" in refused.value.message
    finally:
        pool.close()
