"""Deleting threads and posts, and the files no post refers to any more (shared by every path).

A post's first file is `Post.file`, its further ones are `PostFile` rows; a post has further
files only while it has a first one (deleting the first moves the next one up).
"""

from collections.abc import Iterable

from peewee import fn

from leftbook import clock
from leftbook.boards import Board
from leftbook.database.models import BoardState, File, Post, PostFile, Thread
from leftbook.events import listing


def bump_version(board: str) -> None:
    """Invalidate every cached page of `board` on every instance."""
    BoardState.update(version=BoardState.version + 1).where(BoardState.slug == board).execute()


def referenced(tims: Iterable[str]) -> set[str]:
    """Those of `tims` that some post still refers to, as its first or a further file."""
    candidates = list(set(tims))
    if not candidates:
        return set()
    first = Post.select(Post.file).where(Post.file.in_(candidates)).tuples()
    further = PostFile.select(PostFile.file).where(PostFile.file.in_(candidates)).tuples()
    return {tim for (tim,) in first} | {tim for (tim,) in further}


def release_files(tims: Iterable[str]) -> list[tuple[str, str, str]]:
    """Delete the File rows among `tims` that no post refers to; return what to unlink."""
    candidates = set(tims)
    if not candidates:
        return []
    unused = list(
        File.select(File.tim, File.ext, File.thumb_ext)
        .where(File.tim.in_(candidates - referenced(candidates)))
        .tuples()
    )
    if unused:
        File.delete().where(File.tim.in_([row[0] for row in unused])).execute()
    return unused


def files_of(posts) -> set[str]:
    """Every file (first and further) of the posts whose ids `posts` (a query) selects."""
    first = Post.select(Post.file).where(Post.id.in_(posts), Post.file.is_null(False)).tuples()
    further = PostFile.select(PostFile.file).where(PostFile.post.in_(posts)).tuples()
    return {tim for (tim,) in first} | {tim for (tim,) in further}


def delete_threads(thread_ids: list[int]) -> list[tuple[str, str, str]]:
    """Delete threads with their posts (call inside a write transaction)."""
    if not thread_ids:
        return []
    posts = Post.select(Post.id).where(Post.thread.in_(thread_ids))
    tims = files_of(posts)
    PostFile.delete().where(PostFile.post.in_(posts)).execute()
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


def _drop_files(post: Post, tims: set[str]) -> None:
    """Take `tims` off the post; the first remaining file becomes its first."""
    remaining = [f.tim for f in post.files if f.tim not in tims]
    PostFile.delete().where(PostFile.post == post.id).execute()
    PostFile.insert_many([(post.id, tim, position) for position, tim in enumerate(
        remaining[1:], 1)], fields=[PostFile.post, PostFile.file, PostFile.position]).execute()
    Post.update(file=remaining[0] if remaining else None, file_deleted=True,
                spoiler=post.spoiler and bool(remaining)).where(Post.id == post.id).execute()


def delete_post(post: Post, *, file_only: bool = False,
                only: str | None = None) -> list[tuple[str, str, str]]:
    """Delete one post (an opening post takes its thread), or only its files (`file_only`),
    or only its file `only` (a tim)."""
    thread = Thread.get_by_id(post.thread_id)
    tims = {f.tim for f in post.files}
    if only is not None or file_only:
        dropped = tims & {only} if only is not None else tims
        if dropped:
            _drop_files(post, dropped)
        unlinked = release_files(dropped)
    elif post.no == thread.no:
        unlinked = delete_threads([thread.id])
    else:
        PostFile.delete().where(PostFile.post == post.id).execute()
        Post.delete().where(Post.id == post.id).execute()
        unlinked = release_files(tims)
    if file_only or only is not None or post.no != thread.no:
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
