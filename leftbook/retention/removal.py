"""Deleting threads and posts, and the files no post refers to any more (shared by every path)."""

from collections.abc import Iterable

from peewee import fn

from leftbook import clock
from leftbook.boards import Board
from leftbook.database.models import BoardState, File, Post, Thread
from leftbook.events import listing


def bump_version(board: str) -> None:
    """Invalidate every cached page of `board` on every instance."""
    BoardState.update(version=BoardState.version + 1).where(BoardState.slug == board).execute()


def release_files(tims: Iterable[str]) -> list[tuple[str, str, str]]:
    """Delete the File rows among `tims` that no post refers to; return what to unlink."""
    candidates = set(tims)
    if not candidates:
        return []
    still_used = {
        tim for (tim,) in Post.select(Post.file).where(Post.file.in_(candidates)).tuples()
    }
    unused = list(
        File.select(File.tim, File.ext, File.thumb_ext)
        .where(File.tim.in_(candidates - still_used))
        .tuples()
    )
    if unused:
        File.delete().where(File.tim.in_([row[0] for row in unused])).execute()
    return unused


def _files_of(query) -> set[str]:
    return {tim for (tim,) in query.where(Post.file.is_null(False)).tuples()}


def delete_threads(thread_ids: list[int]) -> list[tuple[str, str, str]]:
    """Delete threads with their posts (call inside a write transaction)."""
    if not thread_ids:
        return []
    tims = _files_of(Post.select(Post.file).where(Post.thread.in_(thread_ids)))
    Post.delete().where(Post.thread.in_(thread_ids)).execute()
    Thread.delete().where(Thread.id.in_(thread_ids)).execute()
    return release_files(tims)


def recount(thread: Thread) -> None:
    """Recompute a thread's reply and image counts from its posts."""
    replies = Post.select().where(Post.thread == thread.id, Post.no != thread.no).count()
    images = Post.select().where(Post.thread == thread.id, Post.file.is_null(False)).count()
    Thread.update(replies=replies, images=images, last_modified=clock.now()).where(
        Thread.id == thread.id
    ).execute()


def delete_post(post: Post, *, file_only: bool = False) -> list[tuple[str, str, str]]:
    """Delete one post (an opening post takes its thread), or only its file."""
    thread = Thread.get_by_id(post.thread_id)
    if file_only:
        tim = post.file_id
        Post.update(file=None, spoiler=False, file_deleted=tim is not None).where(
            Post.id == post.id).execute()
        unlinked = release_files([tim] if tim else [])
    elif post.no == thread.no:
        unlinked = delete_threads([thread.id])
    else:
        tims = [post.file_id] if post.file_id else []
        Post.delete().where(Post.id == post.id).execute()
        unlinked = release_files(tims)
    if file_only or post.no != thread.no:
        recount(thread)
    bump_version(post.board)
    return unlinked


def fall_off(board: Board, now: int, keep: int | None = None) -> list[tuple[str, str, str]]:
    """Delete the threads beyond the board's capacity, in `fall_off_order` (stickies and the
    thread `keep`, just made, stay)."""
    count = Thread.select(fn.COUNT(Thread.id)).where(Thread.board == board.slug).scalar()
    excess = count - board.capacity
    if excess <= 0:
        return []
    candidates = Thread.select(Thread.id)
    if keep is not None:
        candidates = candidates.where(Thread.id != keep)
    doomed = [t.id for t in fall_off_order(candidates, board, now).limit(excess)]
    return delete_threads(doomed)


def fall_off_order(query, board: Board, now: int):
    """`query`'s threads of `board` that can fall off, first to go first (stickies never do):
    least recently bumped (then oldest); on an event board, the reverse of its listing
    (`leftbook.events.listing`)."""
    query = query.where(Thread.board == board.slug, Thread.sticky == False)  # noqa: E712
    if board.events:
        return query.order_by(*listing.fall_off_order(now))
    return query.order_by(Thread.bumped.asc(), Thread.no.asc())
