"""Readers report posts; reports are bounded per poster token and per thread to stop floods."""

from leftbook import clock
from leftbook.abuse.flood import poster_key
from leftbook.boards import Board
from leftbook.database import write_transaction
from leftbook.database.models import FloodEvent, Post, Report
from leftbook.refusal import POST_GONE, Refusal

REASONS = {
    "doxxing": "Personal details (doxxing)",
    "organising": "Organising or planning actions here",
    "spam": "Spam or flooding",
    "illegal": "Illegal content",
    "offtopic": "Off-topic for this board",
    "other": "Other",
}
MAX_TEXT = 300
PER_TOKEN = 5  # reports per poster token per window (tokenless browsers share one budget)
PER_THREAD = 15  # reports per thread per window
WINDOW = 900


def token_key(poster_token: str | None, secret: bytes) -> str:
    """The reporter as flood control knows posters (a keyed hash; the token is not stored)."""
    return "report-token:" + (poster_key(secret, poster_token) or "none")


def _recent(key: str, now: int) -> int:
    return FloodEvent.select().where(
        FloodEvent.kind == "report", FloodEvent.key == key, FloodEvent.time > now - WINDOW
    ).count()


def file_report(board: Board, numbers: list[int], reason: str, text: str,
                poster_token: str | None, secret: bytes) -> int:
    """Record one report per selected post; refuse over the limits, changing nothing."""
    if reason not in REASONS:
        raise Refusal("Choose a reason for the report.")
    if not numbers:
        raise Refusal("Select the posts to report first.")
    if len(numbers) > 5:
        raise Refusal("Report at most 5 posts at once.")
    text = " ".join(text.split())[:MAX_TEXT] or None
    now = clock.now()
    who = token_key(poster_token, secret)
    with write_transaction():
        posts = list(Post.select().where(Post.board == board.slug, Post.no.in_(numbers)))
        if len(posts) != len(set(numbers)):
            raise Refusal(POST_GONE, 404)
        threads = {f"report-thread:{board.slug}:{p.thread_no}" for p in posts}
        if _recent(who, now) + len(posts) > PER_TOKEN or any(
            _recent(key, now) + len(posts) > PER_THREAD for key in threads
        ):
            raise Refusal("Too many reports: thank you, janitors have been told. "
                          "Try again in a quarter of an hour.", 429)
        for post in posts:
            Report.create(post=post.id, board=board.slug, reason=reason, text=text,
                          created=now)
            for key in (who, f"report-thread:{board.slug}:{post.thread_no}"):
                FloodEvent.create(kind="report", key=key, time=now)
    return len(posts)
