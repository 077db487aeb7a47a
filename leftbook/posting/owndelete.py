"""Posters deleting their own posts with the deletion password, within the board's window.

Password hashes are slow on purpose, so checking them is bounded and kept out of the write
lock: a request names at most MAX_AT_ONCE posts; every hash checked is counted against the
browser's poster token and against the whole site, so guessing a password online is slow
and a flood of wrong guesses costs the site a bounded share of one core, never its posting.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from leftbook import clock
from leftbook.abuse.flood import poster_key
from leftbook.boards import Board
from leftbook.database import write_transaction
from leftbook.database.models import FloodEvent, Post
from leftbook.media.store import FileStore
from leftbook.posting import identity
from leftbook.refusal import POST_GONE, Refusal
from leftbook.retention import removal

MAX_AT_ONCE = 10
WINDOW = 600
CHECKS_PER_TOKEN = 20  # hash checks per poster token (or per tokenless request) per WINDOW
CHECKS_PER_MINUTE = 120  # hash checks site-wide per minute: ~3 s of one core at 27 ms each
BUSY = "Too many deletion attempts right now; try again in {wait} seconds."


@dataclass(frozen=True)
class _Checked:
    post: Post
    password_hash: str


def _count_checks(who: str | None, checks: int, now: int) -> None:
    """Refuse (429) when the checks would break a budget; else record them."""
    with write_transaction():
        site = FloodEvent.select().where(FloodEvent.kind == "delcheck",
                                         FloodEvent.time > now - 60).count()
        mine = 0 if who is None else FloodEvent.select().where(
            FloodEvent.kind == "delcheck", FloodEvent.key == who,
            FloodEvent.time > now - WINDOW).count()
        if site + checks > CHECKS_PER_MINUTE:
            raise Refusal(BUSY.format(wait=60), 429, retry_after=60)
        if mine + checks > CHECKS_PER_TOKEN:
            raise Refusal(BUSY.format(wait=WINDOW), 429, retry_after=WINDOW)
        FloodEvent.insert_many([("delcheck", who or "none", now)] * checks, fields=[
            FloodEvent.kind, FloodEvent.key, FloodEvent.time]).execute()


def _verified(board: Board, numbers: list[int], password: str) -> list[_Checked]:
    """The posts, each with the hash its password was checked against (no lock held)."""
    posts = list(Post.select().where(Post.board == board.slug, Post.no.in_(numbers)))
    if len(posts) != len(set(numbers)):
        raise Refusal(POST_GONE, 404)
    for post in posts:
        if post.password_hash is None or clock.now() - post.time > board.delete_window:
            raise Refusal(
                f"Post No.{post.no} can no longer be deleted by password: its deletion "
                "window has passed. Report it if it must go.", 403)
    for post in posts:
        if not identity.check_password(password, post.password_hash):
            raise Refusal(f"Wrong password for post No.{post.no}; nothing was deleted.", 403)
    return [_Checked(post, post.password_hash) for post in posts]


def delete_with_password(board: Board, numbers: list[int], password: str, *,
                         file_only: bool, store: FileStore, poster_token: str | None,
                         secret: bytes, files: Sequence[tuple[int, str]] = ()) -> int:
    """Delete the posts (or only their files) whose password matches, and the single
    `files` (post number, tim) of other posts; all or nothing.

    `poster_token` (the browser's cookie, or None) and the site's `secret` key the budget.
    """
    whole = set(numbers)
    single: dict[int, set[str]] = {}
    for no, tim in files:
        if no not in whole:
            single.setdefault(no, set()).add(tim)
    numbers = sorted(whole | set(single))
    if not numbers:
        raise Refusal("Select the posts to delete first.")
    if len(numbers) > MAX_AT_ONCE:
        raise Refusal(f"Delete at most {MAX_AT_ONCE} posts at once.")
    if not password:
        raise Refusal("Enter the password you posted with.", 403)
    _count_checks(poster_key(secret, poster_token), len(numbers), clock.now())
    checked = _verified(board, numbers, password)
    if (file_only or single) and not any(c.post.file_id for c in checked):
        raise Refusal("The selected posts have no file.")
    unlinked = []
    with write_transaction():
        for item in sorted(checked, key=lambda c: c.post.no, reverse=True):
            current = Post.get_or_none(Post.id == item.post.id)
            if current is None:
                continue  # gone with its thread, deleted just before
            if current.password_hash != item.password_hash:
                raise Refusal(f"Post No.{current.no} can no longer be deleted by password.", 403)
            if current.no in single:
                for tim in sorted(single[current.no]):
                    post = Post.get_by_id(current.id)  # as the last deletion left it
                    unlinked += removal.delete_post(post, only=tim)
            else:
                unlinked += removal.delete_post(current, file_only=file_only)
    store.remove_all(unlinked)
    return len(checked)
