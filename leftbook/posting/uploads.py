"""A post's files: each board's limits per kind, cleaning every upload of a post in the media
workers, refusing banned files, writing them to the file store and their rows."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from leftbook import media
from leftbook.abuse import filebans
from leftbook.boards import Board
from leftbook.database.models import File
from leftbook.media.probe import mib
from leftbook.media.store import FileStore
from leftbook.refusal import Refusal


@dataclass(frozen=True)
class Upload:
    """One uploaded file: its bytes and, when the operator keeps them, its name."""

    data: bytes
    filename: str | None = None


def file_limits(board: Board) -> dict[str, Any]:
    """The limits of every kind `board` takes, by kind."""
    # decoded size: as many bytes as the largest still picture takes (4 a pixel), whether
    # spent on one picture or on an animation's frames
    every = {
        "image": media.FileLimits(max_bytes=board.max_file_bytes, max_pixels=board.max_pixels,
                                  max_frames=board.max_frames, thumb_size=board.thumb_size,
                                  max_decoded_bytes=4 * board.max_pixels),
        "pdf": media.PdfLimits(max_bytes=board.max_pdf_bytes, max_pages=board.max_pages,
                               thumb_size=board.thumb_size),
        "epub": media.EpubLimits(max_bytes=board.max_epub_bytes, thumb_size=board.thumb_size),
        "video": media.MediaLimits(max_bytes=board.max_video_bytes,
                                   max_seconds=board.max_video_seconds,
                                   thumb_size=board.thumb_size),
        "audio": media.MediaLimits(max_bytes=board.max_audio_bytes,
                                   max_seconds=board.max_audio_seconds,
                                   thumb_size=board.thumb_size),
    }
    return {kind: every[kind] for kind in board.kinds}


def check_count(board: Board, uploads: tuple[Upload, ...]) -> None:
    """Refuse more files than the board takes in one post, or more bytes together."""
    if len(uploads) > board.max_files:
        raise Refusal(f"A post takes at most {board.max_files} files here.")
    if sum(len(u.data) for u in uploads) > board.post_bytes:
        raise Refusal(f"The files of one post may be at most {mib(board.post_bytes)} "
                      "together here.", 413)


def clean_all(board: Board, uploads: tuple[Upload, ...], pool: media.WorkerPool,
              file_refused: Callable[[], None] | None) -> list[media.CleanedFile]:
    """Every upload cleaned by a media worker, in order, the same file once; a refused file
    refuses the post and is reported to `file_refused` (flood control counts it)."""
    limits = file_limits(board)
    found: dict[str, media.CleanedFile] = {}
    position = 0
    try:
        for upload in uploads:
            position += 1
            cleaned = media.clean_file(upload.data, limits, pool)
            if filebans.is_banned(cleaned.tim, cleaned.phash):
                raise Refusal("This file is banned from the site.", 403)
            found.setdefault(cleaned.tim, cleaned)
    except Refusal as refusal:
        if file_refused is not None:
            file_refused()
        if len(uploads) > 1:
            raise Refusal(f"File {position}: {refusal.message}", refusal.status,
                          captcha=refusal.captcha, **refusal.extra) from None
        raise
    return list(found.values())


def file_row(cleaned: media.CleanedFile, now: int, store: FileStore) -> str:
    """The File row for a stored file; concurrent posts of one file share it.

    Stored again under the write lock: a prune pass may have unlinked an identical
    file since it was first written (that is a no-op when the files are there).
    """
    File.insert(
        tim=cleaned.tim, ext=cleaned.ext, thumb_ext=cleaned.thumb_ext, w=cleaned.w,
        h=cleaned.h, tn_w=cleaned.tn_w, tn_h=cleaned.tn_h, fsize=cleaned.fsize,
        md5=cleaned.md5, phash=cleaned.phash, created=now, kind=cleaned.kind,
        pages=cleaned.pages, duration=cleaned.duration,
    ).on_conflict_ignore().execute()
    store.store(cleaned)
    return cleaned.tim
