"""Creating posts: the one domain function that views, the CLI, benchmarks and tests share."""

from collections.abc import Callable
from dataclasses import dataclass, field

from peewee import IntegrityError

from leftbook import clock, media
from leftbook.abuse import filters
from leftbook.boards import Board
from leftbook.database import write_transaction
from leftbook.database.models import File, PostFile, Thread
from leftbook.events.fields import EventFields, checked_event
from leftbook.media.store import FileStore
from leftbook.posting import identity, markup, personal, records, tripcode
from leftbook.posting.text import check_file_policy, checked_text, clean_text
from leftbook.posting.uploads import Upload, check_count, clean_all, file_row
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
    file_data: bytes | None = None  # a first file, for callers that send one
    filename: str | None = None
    poster_token: str | None = None
    event_start: str = ""
    event_end: str = ""
    event_place: str = ""
    event_link: str = ""
    confirm_personal: bool = False  # post even though the personal-details guard warned
    files: tuple[Upload, ...] = ()  # the files (after `file_data`, when both are given)

    def uploads(self) -> tuple[Upload, ...]:
        """Every non-empty file sent, in order."""
        first = (Upload(self.file_data, self.filename),) if self.file_data else ()
        return first + tuple(upload for upload in self.files if upload.data)


@dataclass(frozen=True)
class PostingSite:
    """What posting needs from the site: its tripcode secret, file store, media workers
    and choices."""

    tripcode_secret: bytes
    store: FileStore
    password_key: bytes = b""  # signs the deletion passwords the site makes
    keep_filenames: bool = False
    workers: media.WorkerPool = field(default_factory=media.shared_pool)  # cleans uploads


def _first_name(data: PostInput) -> str | None:
    name = data.uploads()[0].filename
    return name[:MAX_FILENAME] if name else None


def _open_thread(board: Board, thread_no: int) -> records.OpenThread:
    thread = records.open_thread(board.slug, thread_no)
    if thread is None:
        raise Refusal(THREAD_GONE, 404)
    if thread.locked:
        raise Refusal("This thread is locked: it takes no more replies.", 403)
    if thread.replies >= board.max_replies:
        raise Refusal("This thread has reached its reply limit.", 403)
    return thread


def _record(board: Board, data: PostInput, text: tuple[str, str, str, str | None],
            rendered: markup.Rendered, files: list[media.CleanedFile],
            site: PostingSite, password_hash: str | None,
            event: EventFields | None) -> tuple[int, int, list]:
    name, trip, subject, body = text
    now = clock.now()
    sage = "sage" in data.options.lower().split()
    thread = _open_thread(board, data.thread_no) if data.thread_no is not None else None
    no = records.allocate_number(board.slug)
    if thread is None:
        thread = Thread.create(board=board.slug, no=no, salt=identity.new_thread_salt(),
                               created=now, bumped=now, last_modified=now,
                               event_start=event.start if event else None,
                               event_until=event.until if event else None)
    poster_id = (
        identity.thread_poster_id(bytes(thread.salt), data.poster_token)
        if board.ids and data.poster_token else None
    )
    post_id = records.insert_post(
        board=board.slug, no=no, thread=thread.id, thread_no=thread.no, time=now,
        name=name, trip=trip, poster_id=poster_id, subject=subject or None, body=body,
        html=rendered.html, sage=sage,
        password_hash=password_hash,
        file=file_row(files[0], now, site.store) if files else None,
        filename=_first_name(data) if site.keep_filenames and files else None,
        spoiler=bool(files) and data.spoiler,
        event_start=event.start if event else None, event_end=event.end if event else None,
        event_place=event.place if event else None, event_link=event.link if event else None,
    )
    if len(files) > 1:
        PostFile.insert_many([(post_id, file_row(cleaned, now, site.store), position)
                              for position, cleaned in enumerate(files[1:], 1)],
                             fields=[PostFile.post, PostFile.file, PostFile.position]).execute()
    records.add_backlinks(board.slug, post_id, sorted(set(rendered.quotes)))
    if data.thread_no is not None:
        bump = not sage and thread.replies < board.bump_limit
        records.count_reply(thread.id, 1 if files else 0, now, now if bump else thread.bumped)
        return thread.no, no, []
    if files:
        Thread.update(images=1).where(Thread.id == thread.id).execute()
    return thread.no, no, removal.fall_off(board, now, keep=thread.id)


def create_post(board: Board, data: PostInput, site: PostingSite,
                boards: dict[str, Board],
                guard: Callable[[str], None] | None = None,
                file_refused: Callable[[], None] | None = None) -> tuple[int, int]:
    """Validate, render and store a post atomically; returns (thread number, post number).

    `guard(body)` runs inside the write transaction before anything is stored (flood
    control, captcha pass use); whatever it raises refuses the post and changes nothing.
    `file_refused()` runs when the post is refused for its file (its cleaning cost the
    site work, so flood control counts it). Before any of that, the personal-details
    guard refuses (422) a post that seems to carry personal details, unless the poster
    confirmed it (`confirm_personal`).
    """
    uploads = data.uploads()
    new_thread, has_file = data.thread_no is None, bool(uploads)
    subject, body = checked_text(board, data.subject, data.body, new_thread=new_thread,
                                 has_file=has_file)
    event = checked_event(board.events, new_thread, data.event_start, data.event_end,
                          data.event_place, data.event_link, clock.now())
    subject, body = (filters.apply_filters(board.filters, t) for t in (subject, body))
    check_file_policy(board, new_thread=new_thread, has_file=has_file)
    check_count(board, uploads)
    name, trip = tripcode.parse_name(clean_text(data.name), site.tripcode_secret)
    if not data.confirm_personal:  # reads only: a warned post leaves nothing behind
        personal.check_post((name, subject, body, event.place if event else ""),
                            link=event.link if event else None)
    name = name or board.default_name
    rendered = markup.render(body, board.slug, records.thread_of_post, boards.__contains__)
    files = clean_all(board, uploads, site.workers, file_refused) if uploads else []
    # a slow hash is made before the write lock is taken, not while holding it
    password_hash = (identity.hash_deletion_password(data.password, site.password_key)
                     if data.password else None)
    written = [cleaned for cleaned in files if site.store.store(cleaned)]
    try:
        with write_transaction():
            if guard is not None:
                guard(body)
            thread_no, no, fallen = _record(
                board, data, (name, trip, subject, body), rendered, files, site, password_hash,
                event)
    except BaseException as exc:
        for cleaned in written:
            if File.get_or_none(File.tim == cleaned.tim) is None:
                site.store.remove(cleaned.tim, cleaned.ext, cleaned.thumb_ext)
        if isinstance(exc, IntegrityError):
            raise Refusal("The post could not be stored; please try again.", 409) from exc
        raise
    site.store.remove_all(fallen)
    return thread_no, no
