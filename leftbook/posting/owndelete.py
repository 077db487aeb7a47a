"""Posters deleting their own posts with the deletion password, within the board's window."""

from leftbook import clock
from leftbook.boards import Board
from leftbook.database import write_transaction
from leftbook.database.models import Post
from leftbook.media.store import FileStore
from leftbook.posting import identity
from leftbook.refusal import POST_GONE, Refusal
from leftbook.retention import removal

MAX_AT_ONCE = 20


def delete_with_password(board: Board, numbers: list[int], password: str, *,
                         file_only: bool, store: FileStore) -> int:
    """Delete the posts (or only their files) whose password matches; all or nothing."""
    if not numbers:
        raise Refusal("Select the posts to delete first.")
    if len(numbers) > MAX_AT_ONCE:
        raise Refusal(f"Delete at most {MAX_AT_ONCE} posts at once.")
    if not password:
        raise Refusal("Enter the password you posted with.", 403)
    unlinked = []
    with write_transaction():
        posts = list(Post.select().where(Post.board == board.slug, Post.no.in_(numbers)))
        if len(posts) != len(set(numbers)):
            raise Refusal(POST_GONE, 404)
        for post in posts:
            expired = clock.now() - post.time > board.delete_window
            if post.password_hash is None or expired:
                raise Refusal(
                    f"Post No.{post.no} can no longer be deleted by password: its deletion "
                    "window has passed. Report it if it must go.", 403)
            if not identity.check_password(password, post.password_hash):
                raise Refusal(f"Wrong password for post No.{post.no}; nothing was deleted.", 403)
        if file_only and not any(p.file_id for p in posts):
            raise Refusal("The selected posts have no file.")
        for post in sorted(posts, key=lambda p: p.no, reverse=True):
            if Post.get_or_none(Post.id == post.id) is not None:
                unlinked += removal.delete_post(post, file_only=file_only)
    store.remove_all(unlinked)
    return len(posts)
