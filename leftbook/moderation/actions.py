"""What janitors do: every action re-checks the grant and leaves an audit entry (no poster data)."""

from leftbook import clock
from leftbook.database import write_transaction
from leftbook.database.models import AuditEntry, FileBan, Post, PostFile, Report, Thread
from leftbook.media.store import FileStore
from leftbook.moderation.capabilities import Grant
from leftbook.refusal import Refusal
from leftbook.retention import removal

# action -> the power it needs
ACTIONS = {
    "delete": "delete",
    "delete-file": "delete",
    "delete-by-id": "delete",
    "ban-file": "ban-file",
    "lock": "lock",
    "unlock": "lock",
    "sticky": "sticky",
    "unsticky": "sticky",
    "dismiss": "delete",
}
NEEDS_CONFIRMATION = frozenset({"delete-by-id"})  # bulk: the janitor sees what goes first


def _audit(grant: Grant, action: str, board: str, post_no: int | None) -> None:
    AuditEntry.create(capability=grant.id, action=action, board=board, post_no=post_no,
                      time=clock.now())


def _thread_flag(post: Post, action: str) -> None:
    if post.no != post.thread_no:
        raise Refusal("Lock and sticky apply to a thread's opening post.")
    flag, value = {"lock": ("locked", True), "unlock": ("locked", False),
                   "sticky": ("sticky", True), "unsticky": ("sticky", False)}[action]
    Thread.update({flag: value}).where(Thread.id == post.thread_id).execute()
    removal.bump_version(post.board)


def same_id_posts(board: str, post_no: int) -> list[Post]:
    """The posts a 'delete all by ID' of post `post_no` would delete, oldest first."""
    post = Post.get_or_none(Post.board == board, Post.no == post_no)
    if post is None:
        raise Refusal("That post no longer exists.", 404)
    if not post.poster_id:
        raise Refusal("This post has no poster ID (the board does not show IDs).")
    return list(Post.select().where(Post.thread == post.thread_id,
                                    Post.poster_id == post.poster_id).order_by(Post.no))


def _delete_by_id(post: Post) -> list:
    unlinked = []
    for other in reversed(same_id_posts(post.board, post.no)):
        if Post.get_or_none(Post.id == other.id) is not None:
            unlinked += removal.delete_post(other)
    return unlinked


def _chosen_files(post: Post, tim: str | None) -> list:
    files = [f for f in post.files if tim is None or f.tim == tim]
    if not files:
        raise Refusal("This post has no file." if tim is None else
                      "That file is no longer in this post.", 404 if tim else 400)
    return files


def _ban_file(post: Post, tim: str | None) -> list:
    """Ban the post's file `tim` (every file of it when None) and take it off every post."""
    unlinked = []
    for file in _chosen_files(post, tim):
        FileBan.create(sha256=file.tim, phash=file.phash, created=clock.now())
        users = Post.select().where((Post.file == file.tim) | Post.id.in_(
            PostFile.select(PostFile.post).where(PostFile.file == file.tim)))
        for other in list(users):
            unlinked += removal.delete_post(other, only=file.tim)
    return unlinked


def _dismiss(board: str, post: Post | None, report_id: int | None) -> None:
    query = Report.update(handled=True).where(Report.board == board)
    if report_id is not None:
        query = query.where(Report.id == report_id)
    elif post is not None:
        query = query.where(Report.post == post.id)
    else:
        raise Refusal("Nothing to dismiss.", 404)
    query.execute()


def act(grant: Grant, action: str, board: str, post_no: int, store: FileStore,
        report_id: int | None = None, tim: str | None = None) -> None:
    """Carry out one janitor action on post `post_no` of `board` (on its file `tim` alone,
    for delete-file and ban-file, when given)."""
    power = ACTIONS.get(action)
    if power is None:
        raise Refusal("Unknown action.")
    if not grant.can(power, board):
        raise Refusal(f"Your link does not allow '{action}' on /{board}/.", 403)
    unlinked = []
    with write_transaction():
        post = Post.get_or_none(Post.board == board, Post.no == post_no)
        if action == "dismiss":
            _dismiss(board, post, report_id)
        elif post is None:
            raise Refusal("That post no longer exists.", 404)
        elif action == "delete":
            unlinked = removal.delete_post(post)
        elif action == "delete-file":
            _chosen_files(post, tim)
            unlinked = removal.delete_post(post, file_only=tim is None, only=tim)
        elif action == "delete-by-id":
            unlinked = _delete_by_id(post)
        elif action == "ban-file":
            unlinked = _ban_file(post, tim)
        else:
            _thread_flag(post, action)
        _audit(grant, action, board, post_no)
    store.remove_all(unlinked)
