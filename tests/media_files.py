"""Build test video and audio with ffmpeg, loaded with planted identifying data: container
and stream tags, chapters, subtitles, a cover picture, the encoder's own strings."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.documents import PLANT, planted

FFMPEG = shutil.which("ffmpeg")
needs_ffmpeg = pytest.mark.skipif(FFMPEG is None, reason="needs Debian's ffmpeg")
# what ffmpeg's own libraries write when not told to be bit-exact: a version number
VERSIONED = (b"Lavf5", b"Lavf6", b"Lavc5", b"Lavc6", b"x264 - core", b"Xiph.Org libVorbis")


def ffmpeg(*args: str | Path, cwd: Path) -> None:
    subprocess.run([FFMPEG, "-v", "error", "-y", "-nostdin", *map(str, args)], cwd=cwd,
                   check=True, timeout=120)


def _metadata(directory: Path) -> tuple[Path, Path]:
    chapters = directory / "chapters.txt"
    chapters.write_text(
        f";FFMETADATA1\ntitle={planted('title')}\nartist={planted('artist')}\n"
        f"comment={planted('comment')}\nlocation=+48.8584+002.2945/\n"
        f"creation_time=2024-05-01T12:34:56Z\nencoder={planted('encoder tag')}\n"
        f"[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1000\ntitle={planted('chapter')}\n")
    subtitles = directory / "subtitles.srt"
    subtitles.write_text(f"1\n00:00:00,000 --> 00:00:01,000\n{planted('subtitle')}\n")
    return chapters, subtitles


def _cover(directory: Path) -> Path:
    cover = directory / "cover.jpg"
    ffmpeg("-f", "lavfi", "-i", "color=red:size=64x64", "-frames:v", "1",
           "-metadata", f"comment={planted('cover')}", cover, cwd=directory)
    return cover


def hostile_video(directory: Path, container: str = "mp4", seconds: float = 2,
                  size: str = "320x240", rate: int = 25) -> bytes:
    """H.264/AAC in MP4 (x264 writes its settings in an SEI) or VP9/Vorbis in WebM, with tags
    on the container and the streams, chapters and a subtitle stream."""
    chapters, subtitles = _metadata(directory)
    video = ["libx264", "aac", "mov_text"] if container == "mp4" else [
        "libvpx-vp9", "libvorbis", "webvtt"]
    out = directory / f"hostile.{container}"
    ffmpeg("-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}:duration={seconds}",
           "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-i", chapters,
           "-i", subtitles, "-map", "0", "-map", "1", "-map", "3", "-map_metadata", "2",
           "-map_chapters", "2", "-c:v", video[0], "-c:a", video[1], "-c:s", video[2],
           "-metadata:s:v:0", f"handler_name={planted('video handler')}",
           "-metadata:s:a:0", f"title={planted('audio stream')}",
           "-metadata:s:a:0", f"ARTIST={planted('vorbis comment')}",
           "-deadline", "realtime", "-cpu-used", "8", out, cwd=directory)
    return out.read_bytes()


def hostile_audio(directory: Path, container: str = "mp3", seconds: float = 3) -> bytes:
    """MP3 with ID3 tags and a cover picture (and a planted string in the last frame's
    padding, where LAME writes its name), or Ogg Opus with comments."""
    chapters, _subtitles = _metadata(directory)
    out = directory / f"hostile.{container}"
    if container == "mp3":
        cover = _cover(directory)
        ffmpeg("-f", "lavfi", "-i", f"sine=frequency=330:duration={seconds}", "-i", cover,
               "-i", chapters, "-map", "0", "-map", "1", "-map_metadata", "2", "-c:a",
               "libmp3lame", "-c:v", "copy", "-disposition:v", "attached_pic", out,
               cwd=directory)
        data = out.read_bytes()
        at = data.rindex(b"LAME")  # the encoder's name in the padding of the last frame
        return data[:at] + PLANT.encode() + data[at + len(PLANT):]
    ffmpeg("-f", "lavfi", "-i", f"sine=frequency=330:duration={seconds}", "-i", chapters,
           "-map", "0", "-map_metadata", "1", "-c:a", "libopus", out, cwd=directory)
    return out.read_bytes()


def plain_video(directory: Path, seconds: int, size: str = "1920x1080",
                bitrate: str = "8M") -> bytes:
    """A plain H.264/AAC MP4 of about `bitrate` x `seconds`."""
    out = directory / "plain.mp4"
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={size}:rate=30:duration={seconds}", "-f",
           "lavfi", "-i", f"sine=duration={seconds}", "-c:v", "libx264", "-preset",
           "ultrafast", "-b:v", bitrate, "-c:a", "aac", out, cwd=directory)
    return out.read_bytes()


def plain_mp3(directory: Path, seconds: int) -> bytes:
    out = directory / "plain.mp3"
    ffmpeg("-f", "lavfi", "-i", f"sine=frequency=220:duration={seconds}", "-c:a", "libmp3lame",
           "-b:a", "128k", out, cwd=directory)
    return out.read_bytes()


def probe(path: Path) -> dict:
    import json

    found = subprocess.run(["ffprobe", "-v", "error", "-show_format", "-show_streams",
                            "-show_chapters", "-of", "json", str(path)], capture_output=True,
                           check=True, timeout=60)
    return json.loads(found.stdout)


def decodes(path: Path) -> bool:
    """The whole file decodes without a single error."""
    done = subprocess.run([FFMPEG, "-v", "error", "-nostdin", "-i", str(path), "-f", "null",
                           "-"], capture_output=True, timeout=120)
    return done.returncode == 0 and not done.stderr.strip()
