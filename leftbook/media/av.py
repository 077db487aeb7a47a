"""The video and audio cleaner: ffmpeg remuxes (or re-encodes) the first picture and sound
streams into a new file with nothing else in it, and takes a frame for the thumbnail.

ffmpeg and ffprobe run as bounded child processes (``child``) on a copy of the upload in a
private temporary directory. Each is told the container to expect (``-f``: no probing, so
an upload cannot pose as a playlist) and may open only local files of that one format
(protocol and format whitelists; the MP4 demuxer's external references stay off, as is its
default). Only the first video and the first audio stream are mapped (cover pictures are
not video), with no container or stream tags, no chapters, no subtitle, data or attachment
streams, bit-exact muxing (no encoder strings) and, for H.264, the SEI units removed
(x264 writes its settings there). Audio whose encoder leaves strings inside the copied
stream (AAC's fill elements, Vorbis's comment header in WebM) is re-encoded, as is any
codec not on the container's list. What the site's own encoders write is the same for every
upload ("Lavc libopus" with no version in a WebM's tags, LAME's name in an MP3's padding).
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import time
from dataclasses import dataclass, field

from PIL import Image

from leftbook.media import child
from leftbook.media.result import cleaned
from leftbook.media.types import CleanedFile, MediaLimits
from leftbook.refusal import Refusal

SECONDS = 30.0  # wall clock for every ffmpeg run of one job together (the pool allows 40)
CPU_SECONDS = 60  # of one run, both threads together
THREADS = "2"
MALFORMED = "This video or audio file is damaged or malformed and cannot be read."
NO_STREAMS = "This file has no audio or video that the site can play."
UNCOMMON = ("This file uses a codec the site cannot convert; post WebM (VP8, VP9 or AV1 "
            "with Opus or Vorbis), MP4 (H.264 with AAC), Ogg (Opus or Vorbis) or MP3.")
OPUS = ["-c:a", "libopus", "-b:a", "96k"]


@dataclass(frozen=True)
class Container:
    demuxer: str
    whitelist: str
    muxer: str
    ext: str
    video_copy: dict[str, list[str]] = field(default_factory=dict)  # codec -> bitstream filter
    audio_copy: frozenset[str] = frozenset()
    video_encode: list[str] | None = None
    audio_encode: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)


CONTAINERS = {
    "webm": Container(
        "matroska", "matroska,webm", "webm", ".webm",
        video_copy={"vp8": [], "vp9": [], "av1": ["-bsf:v", "filter_units=remove_types=5|15"]},
        audio_copy=frozenset({"opus"}), audio_encode=OPUS,
        video_encode=["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8",
                      "-b:v", "1500k"]),
    "mp4": Container(
        "mov", "mov,mp4,m4a,3gp,3g2,mj2", "mp4", ".mp4",
        video_copy={"h264": ["-bsf:v", "filter_units=remove_types=6"]},
        video_encode=["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt",
                      "yuv420p", "-bsf:v", "filter_units=remove_types=6"],
        audio_encode=["-c:a", "aac", "-b:a", "128k"], options=["-movflags", "+faststart"]),
    "ogg": Container("ogg", "ogg", "ogg", ".ogg", audio_copy=frozenset({"opus", "vorbis"}),
                     audio_encode=OPUS),
    # LAME leaves its name and version in the padding of an MP3 stream's last frame (an
    # encoder string inside the audio data): MP3 is always re-encoded, at its own bit rate
    "mp3": Container("mp3", "mp3", "mp3", ".mp3", audio_encode=["-c:a", "libmp3lame"],
                     options=["-write_xing", "0", "-id3v2_version", "0"]),
}
IMAGE_BRANDS = (b"heic", b"heix", b"mif1", b"msf1", b"avif", b"avis", b"crx ")


def container_of(data: bytes) -> str | None:
    """The container the first bytes claim (ffmpeg is then held to it)."""
    if data[:4] == b"\x1a\x45\xdf\xa3" and b"webm" in data[:64]:
        return "webm"
    if data[4:8] == b"ftyp" and data[8:12] not in IMAGE_BRANDS:
        return "mp4"
    if data[:4] == b"OggS":
        return "ogg"
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE6 == 0xE2):
        return "mp3"
    return None


def is_video(data: bytes) -> bool:
    return container_of(data) in ("webm", "mp4")


def is_audio(data: bytes) -> bool:
    return container_of(data) in ("ogg", "mp3")


@dataclass
class Streams:
    video: dict | None
    audio: dict | None
    duration: float | None


class Job:
    """One upload in its own temporary directory, with one wall-clock budget."""

    def __init__(self, directory: str, limits: MediaLimits) -> None:
        self.directory, self.limits = directory, limits
        self.deadline = time.monotonic() + SECONDS

    def run(self, program: str, args: list[str], output_bytes: int) -> tuple[int, bytes, bytes]:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise Refusal(child.TOO_COSTLY, 422)
        quiet = ["-nostdin"] if program == "ffmpeg" else []
        code, out, err = child.run([program, *quiet, "-hide_banner", "-v", "error", *args],
                                   child.ChildLimits(remaining, CPU_SECONDS, output_bytes),
                                   self.directory)
        if b"Cannot allocate memory" in err:
            raise Refusal(child.TOO_COSTLY, 422)
        return code, out, err

    def probe(self, container: Container, name: str) -> Streams:
        code, out, _err = self.run("ffprobe", [
            "-protocol_whitelist", "file", "-format_whitelist", container.whitelist,
            "-f", container.demuxer, "-show_entries",
            "format=duration:stream=index,codec_type,codec_name,width,height,avg_frame_rate,"
            "bit_rate"
            ":stream_disposition=attached_pic", "-of", "json", f"file:{name}"], 1 << 20)
        try:
            found = json.loads(out) if code == 0 else None
            streams = found["streams"]
            duration = found["format"].get("duration")
            first = {kind: next((s for s in streams if s.get("codec_type") == kind and not
                                 s.get("disposition", {}).get("attached_pic")), None)
                     for kind in ("video", "audio")}
            return Streams(first["video"], first["audio"],
                           float(duration) if duration not in (None, "N/A") else None)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise Refusal(MALFORMED, 400) from exc


def clean_media(data: bytes, limits: MediaLimits) -> CleanedFile:
    """Remux or re-encode a video or audio upload; refuses (4xx) what it cannot."""
    name = container_of(data)
    if name is None:
        raise Refusal(NO_STREAMS, 415)
    if len(data) > limits.max_bytes:
        raise Refusal("The file is too large.", 413)
    container = CONTAINERS[name]
    with tempfile.TemporaryDirectory(prefix="leftbook-av-") as directory:
        job = Job(directory, limits)
        with open(os.path.join(directory, "upload"), "wb") as upload:
            upload.write(data)
        streams = job.probe(container, "upload")
        if name in ("ogg", "mp3"):
            streams.video = None
        _check(streams, limits)
        output = "clean" + container.ext
        code, _out, _err = job.run("ffmpeg", _clean_args(container, streams, limits, output),
                                   2 * len(data) + (1 << 20))
        if code != 0:
            raise Refusal(MALFORMED, 400)
        result = job.probe(container, output)
        if result.duration is None or result.duration > limits.max_seconds + 1:
            raise Refusal(MALFORMED if result.duration is None else _too_long(limits), 413)
        picture = _frame(job, container, output, result) if result.video else None
        with open(os.path.join(directory, output), "rb") as cleaned_file:
            stored = cleaned_file.read()
    video = result.video or {}
    kind = "video" if result.video else "audio"
    return cleaned(kind, container.ext, stored, picture, "AUDIO" if kind == "audio" else "VIDEO",
                   limits.thumb_size, (int(video.get("width", 0)), int(video.get("height", 0))),
                   duration=max(1, round(result.duration)))


def _too_long(limits: MediaLimits) -> str:
    return f"The file is longer than {limits.max_seconds // 60} minutes."


def _check(streams: Streams, limits: MediaLimits) -> None:
    if streams.video is None and streams.audio is None:
        raise Refusal(NO_STREAMS, 415)
    if streams.duration is not None and streams.duration > limits.max_seconds + 1:
        raise Refusal(_too_long(limits), 413)
    video = streams.video
    if video is None:
        return
    width, height = video.get("width") or 0, video.get("height") or 0
    if not isinstance(width, int) or not isinstance(height, int) or min(width, height) < 1:
        raise Refusal(MALFORMED, 400)
    if max(width, height) > limits.max_width or min(width, height) > limits.max_height:
        raise Refusal(f"The video is larger than {limits.max_width}x{limits.max_height}.", 413)
    numerator, _, denominator = str(video.get("avg_frame_rate", "0/0")).partition("/")
    try:
        rate = int(numerator) / int(denominator) if int(denominator or 0) else 0.0
    except ValueError:
        rate = 0.0
    if rate > limits.max_fps + 0.5:
        raise Refusal(f"The video has more than {limits.max_fps} frames a second.", 413)


def _clean_args(container: Container, streams: Streams, limits: MediaLimits,
                output: str) -> list[str]:
    args = ["-threads", THREADS, "-protocol_whitelist", "file", "-format_whitelist",
            container.whitelist, "-f", container.demuxer, "-i", "file:upload"]
    if streams.video is not None:
        codec = streams.video.get("codec_name")
        args += ["-map", f"0:{int(streams.video['index'])}"]
        if codec in container.video_copy:
            args += ["-c:v", "copy", *container.video_copy[codec]]
        elif container.video_encode is not None:
            args += container.video_encode
        else:
            raise Refusal(UNCOMMON, 415)
    if streams.audio is not None:
        args += ["-map", f"0:{int(streams.audio['index'])}"]
        copy = streams.audio.get("codec_name") in container.audio_copy
        args += ["-c:a", "copy"] if copy else [*container.audio_encode, *_bit_rate(
            container, streams.audio)]
    return [*args, "-map_metadata", "-1", "-map_chapters", "-1", "-sn", "-dn",
            "-t", str(limits.max_seconds), "-threads", THREADS, "-fflags", "+bitexact",
            "-flags:v", "+bitexact", "-flags:a", "+bitexact", *container.options,
            "-f", container.muxer, f"file:{output}"]


def _bit_rate(container: Container, audio: dict) -> list[str]:
    """MP3 is re-encoded at its own bit rate (64 to 320 kbit/s; 128 when unknown)."""
    if container.muxer != "mp3":
        return []
    try:
        rate = int(audio.get("bit_rate") or 128_000)
    except ValueError:
        rate = 128_000
    return ["-b:a", f"{min(320, max(64, rate // 1000))}k"]


def _frame(job: Job, container: Container, name: str, streams: Streams) -> Image.Image | None:
    """A frame a little way in (the first is often black), else the first; None when no
    frame can be decoded (the thumbnail is then the video icon)."""
    box = 2 * job.limits.thumb_size
    duration = streams.duration or 0.0
    for at in (min(duration * 0.1, 5.0), 0.0):
        frame = os.path.join(job.directory, "frame.png")
        code, _out, _err = job.run("ffmpeg", [
            "-threads", THREADS, "-protocol_whitelist", "file", "-format_whitelist",
            container.whitelist, "-f", container.demuxer, "-ss", f"{at:.3f}", "-i",
            f"file:{name}", "-map", "0:v:0", "-frames:v", "1", "-vf",
            f"scale={box}:{box}:force_original_aspect_ratio=decrease", "-f", "image2",
            "-c:v", "png", "-y", "file:frame.png"], 16 << 20)
        if code == 0 and os.path.exists(frame):
            with open(frame, "rb") as handle:
                picture = Image.open(io.BytesIO(handle.read()), formats=["PNG"])
                picture.load()
            return picture.convert("RGB")
    return None
