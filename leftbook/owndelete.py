"""Posters deleting their own posts with the deletion password, within the board's window."""

from pathlib import Path

from leftbook import clock, identity, removal
from leftbook.boardconf import Board
from leftbook.db import write_transaction
from leftbook.models import Post
from leftbook.posts import PostError

MAX_AT_ONCE = 20


def delete_with_password(board: Board, numbers: list[int], password: str, *,
                         file_only: bool, files_dir: Path) -> int:
    """Delete the posts (or only their files) whose password matches; all or nothing."""
    if not numbers:
        raise PostError("Select the posts to delete first.")
    if len(numbers) > MAX_AT_ONCE:
        raise PostError(f"Delete at most {MAX_AT_ONCE} posts at once.")
    if not password:
        raise PostError("Enter the password you posted with.", 403)
    unlinked = []
    with write_transaction():
        posts = list(Post.select().where(Post.board == board.slug, Post.no.in_(numbers)))
        if len(posts) != len(set(numbers)):
            raise PostError("A selected post does not exist (it may already be deleted).", 404)
        for post in posts:
            expired = clock.now() - post.time > board.delete_window
            if post.password_hash is None or expired:
                raise PostError(
                    f"Post No.{post.no} can no longer be deleted by password: its deletion "
                    "window has passed. Report it if it must go.", 403)
            if not identity.check_password(password, post.password_hash):
                raise PostError(f"Wrong password for post No.{post.no}; nothing was deleted.", 403)
        if file_only and not any(p.file_id for p in posts):
            raise PostError("The selected posts have no file.")
        for post in sorted(posts, key=lambda p: p.no, reverse=True):
            if Post.get_or_none(Post.id == post.id) is not None:
                unlinked += removal.delete_post(post, file_only=file_only)
    removal.unlink_files(files_dir, unlinked)
    return len(posts)
