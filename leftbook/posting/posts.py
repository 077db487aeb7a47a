"""Creating posts: the one domain function that views, the CLI, benchmarks and tests share."""

from collections.abc import Callable
from dataclasses import dataclass, field

from peewee import IntegrityError

from leftbook import clock, media
from leftbook.abuse import filebans, filters
from leftbook.boards import Board
from leftbook.database import write_transaction
from leftbook.database.models import File, Thread
from leftbook.media.store import FileStore
from leftbook.posting import identity, markup, records, tripcode
from leftbook.posting.text import check_file_policy, checked_text, clean_text
from leftbook.refusal import THREAD_GONE, Refusal
from leftbook.retention import removal

MAX_FILENAME = 255



@dataclass(frozen=True)
class PostInput:
    """What a poster submitted, already decoded from the form (no request objects)."""

    thread_no: int | None = None
    name: str = ""
    options: str = ""
    subject: str = ""
    body: str = ""
    password: str = ""
    spoiler: bool = False
    file_data: bytes | None = None
    filename: str | None = None
    poster_token: str | None = None


@dataclass(frozen=True)
class PostingSite:
    """What posting needs from the site: its tripcode secret, file store, media workers
    and choices."""

    tripcode_secret: bytes
    store: FileStore
    password_key: bytes = b""  # signs the deletion passwords the site makes
    keep_filenames: bool = False
    workers: media.WorkerPool = field(default_factory=media.shared_pool)  # cleans uploads


def _file_limits(board: Board) -> media.FileLimits:
    # decoded size: as many bytes as the largest still picture takes (4 a pixel), whether
    # spent on one picture or on an animation's frames
    return media.FileLimits(max_bytes=board.max_file_bytes, max_pixels=board.max_pixels,
                            max_frames=board.max_frames, thumb_size=board.thumb_size,
                            max_decoded_bytes=4 * board.max_pixels)


def _clean_file(board: Board, data: bytes, site: PostingSite,
                file_refused: Callable[[], None] | None) -> media.ProcessedImage:
    """The upload cleaned by a media worker; a refused file is reported to `file_refused`
    (flood control counts it) before the Refusal goes on."""
    try:
        image = media.clean_upload(data, _file_limits(board), site.workers)
        if filebans.is_banned(image.tim, image.phash):
            raise Refusal("This file is banned from the site.", 403)
    except Refusal:
        if file_refused is not None:
            file_refused()
        raise
    return image


def _open_thread(board: Board, thread_no: int) -> records.OpenThread:
    thread = records.open_thread(board.slug, thread_no)
    if thread is None:
        raise Refusal(THREAD_GONE, 404)
    if thread.locked:
        raise Refusal("This thread is locked: it takes no more replies.", 403)
    if thread.replies >= board.max_replies:
        raise Refusal("This thread has reached its reply limit.", 403)
    return thread


def _file_row(image: media.ProcessedImage, now: int, store: FileStore) -> str:
    """The File row for a stored image; concurrent posts of one picture share it.

    Stored again under the write lock: a prune pass may have unlinked an identical
    picture since it was first written (that is a no-op when the files are there).
    """
    File.insert(
        tim=image.tim, ext=image.ext, thumb_ext=image.thumb_ext, w=image.w, h=image.h,
        tn_w=image.tn_w, tn_h=image.tn_h, fsize=image.fsize, md5=image.md5,
        phash=image.phash, created=now,
    ).on_conflict_ignore().execute()
    store.store(image)
    return image.tim


def _record(board: Board, data: PostInput, text: tuple[str, str, str, str | None],
            rendered: markup.Rendered, image: media.ProcessedImage | None,
            site: PostingSite, password_hash: str | None) -> tuple[int, int, list]:
    name, trip, subject, body = text
    now = clock.now()
    sage = "sage" in data.options.lower().split()
    thread = _open_thread(board, data.thread_no) if data.thread_no is not None else None
    no = records.allocate_number(board.slug)
    if thread is None:
        thread = Thread.create(board=board.slug, no=no, salt=identity.new_thread_salt(),
                               created=now, bumped=now, last_modified=now)
    poster_id = (
        identity.thread_poster_id(bytes(thread.salt), data.poster_token)
        if board.ids and data.poster_token else None
    )
    post_id = records.insert_post(
        board=board.slug, no=no, thread=thread.id, thread_no=thread.no, time=now,
        name=name, trip=trip, poster_id=poster_id, subject=subject or None, body=body,
        html=rendered.html, sage=sage,
        password_hash=password_hash,
        file=_file_row(image, now, site.store) if image else None,
        filename=data.filename[:MAX_FILENAME] if site.keep_filenames and data.filename else None,
        spoiler=bool(image) and data.spoiler,
    )
    records.add_backlinks(board.slug, post_id, sorted(set(rendered.quotes)))
    if data.thread_no is not None:
        bump = not sage and thread.replies < board.bump_limit
        records.count_reply(thread.id, 1 if image else 0, now, now if bump else thread.bumped)
        return thread.no, no, []
    if image:
        Thread.update(images=1).where(Thread.id == thread.id).execute()
    return thread.no, no, removal.fall_off(board.slug, board.capacity)


def create_post(board: Board, data: PostInput, site: PostingSite,
                boards: dict[str, Board],
                guard: Callable[[str], None] | None = None,
                file_refused: Callable[[], None] | None = None) -> tuple[int, int]:
    """Validate, render and store a post atomically; returns (thread number, post number).

    `guard(body)` runs inside the write transaction before anything is stored (flood
    control, captcha pass use); whatever it raises refuses the post and changes nothing.
    `file_refused()` runs when the post is refused for its file (its cleaning cost the
    site work, so flood control counts it).
    """
    new_thread, has_file = data.thread_no is None, bool(data.file_data)
    subject, body = checked_text(board, data.subject, data.body, new_thread=new_thread,
                                 has_file=has_file)
    subject, body = (filters.apply_filters(board.filters, t) for t in (subject, body))
    check_file_policy(board, new_thread=new_thread, has_file=has_file)
    name, trip = tripcode.parse_name(clean_text(data.name), site.tripcode_secret)
    name = name or board.default_name
    rendered = markup.render(body, board.slug, records.thread_of_post, boards.__contains__)
    image = _clean_file(board, data.file_data, site, file_refused) if data.file_data else None
    # a slow hash is made before the write lock is taken, not while holding it
    password_hash = (identity.hash_deletion_password(data.password, site.password_key)
                     if data.password else None)
    wrote_file = site.store.store(image) if image else False
    try:
        with write_transaction():
            if guard is not None:
                guard(body)
            thread_no, no, fallen = _record(
                board, data, (name, trip, subject, body), rendered, image, site, password_hash
            )
    except BaseException as exc:
        if wrote_file and File.get_or_none(File.tim == image.tim) is None:
            site.store.remove(image.tim, image.ext, image.thumb_ext)
        if isinstance(exc, IntegrityError):
            raise Refusal("The post could not be stored; please try again.", 409) from exc
        raise
    site.store.remove_all(fallen)
    return thread_no, no
