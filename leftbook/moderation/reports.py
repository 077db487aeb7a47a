"""Readers report posts. No flooder can suppress anyone else's report: a post holds at most
one open report per reason (a repeat is thanked and changes nothing), so what a janitor sees
is bounded by the posts themselves, and the first report of each kind always gets through.
A poster token files a bounded number of reports; nothing about the reporter is kept."""

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
MAX_AT_ONCE = 5
PER_TOKEN = 5  # new reports per poster token per window
WINDOW = 900


def token_key(poster_token: str | None, secret: bytes) -> str | None:
    """The reporter as flood control knows posters (a keyed hash; the token is not stored)."""
    key = poster_key(secret, poster_token)
    return "report-token:" + key if key else None


def _recent(key: str, now: int) -> int:
    return FloodEvent.select().where(
        FloodEvent.kind == "report", FloodEvent.key == key, FloodEvent.time > now - WINDOW
    ).count()


def _already_open(posts: list[Post], reason: str) -> set[int]:
    return {post_id for (post_id,) in Report.select(Report.post).where(
        Report.post.in_([p.id for p in posts]), Report.reason == reason,
        Report.handled == False).tuples()}  # noqa: E712


def file_report(board: Board, numbers: list[int], reason: str, text: str,
                poster_token: str | None, secret: bytes) -> int:
    """Report each selected post; returns how many were reported (repeats included)."""
    if reason not in REASONS:
        raise Refusal("Choose a reason for the report.")
    if not numbers:
        raise Refusal("Select the posts to report first.")
    if len(set(numbers)) > MAX_AT_ONCE:
        raise Refusal(f"Report at most {MAX_AT_ONCE} posts at once.")
    text = " ".join(text.split())[:MAX_TEXT] or None
    now = clock.now()
    who = token_key(poster_token, secret)
    posts = list(Post.select().where(Post.board == board.slug, Post.no.in_(numbers)))
    if len(posts) != len(set(numbers)):
        raise Refusal(POST_GONE, 404)
    fresh = [p for p in posts if p.id not in _already_open(posts, reason)]
    if not fresh:
        return len(posts)  # janitors have been told already; no write at all
    with write_transaction():
        fresh = [p for p in fresh if p.id not in _already_open(fresh, reason)]
        if who is not None and _recent(who, now) + len(fresh) > PER_TOKEN:
            raise Refusal("Too many reports from you: thank you, janitors have been told. "
                          "Try again in a quarter of an hour.", 429, retry_after=WINDOW)
        for post in fresh:
            Report.create(post=post.id, board=board.slug, reason=reason, text=text,
                          created=now)
            if who is not None:
                FloodEvent.create(kind="report", key=who, time=now)
    return len(posts)
