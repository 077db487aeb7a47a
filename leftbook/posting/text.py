"""What a post's text may be: cleaned of invisible and direction-override characters,
bounded in length and lines, checked against the board's file policy."""

import re
import unicodedata

from leftbook.boards import Board
from leftbook.refusal import Refusal

# Controls, invisible and direction-override characters, and the noncharacters (U+FDD0..FDEF
# and U+xFFFE/xFFFF in every plane) that XML forbids and no text needs.
UNWANTED_CHARACTERS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff"
    "\ufdd0-\ufdef\ufffe\uffff"
    + "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(1, 17))
    + "]"
)
MAX_LINES = 200


def clean_text(text: str) -> str:
    """Normalise line endings, drop control and direction-override characters, trim."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = UNWANTED_CHARACTERS.sub("", text.replace("\t", "    "))
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def checked_text(board: Board, subject: str, body: str, *, new_thread: bool,
                 has_file: bool) -> tuple[str, str]:
    """(subject, body) cleaned and within the board's limits; refuses what is not."""
    body = clean_text(body)
    subject = clean_text(subject).replace("\n", " ")
    if len(body) > board.max_body:
        raise Refusal(
            f"Your comment is too long ({len(body)} characters; at most {board.max_body})."
        )
    if body.count("\n") >= MAX_LINES:
        raise Refusal(f"Your comment has too many lines (at most {MAX_LINES}).")
    if len(subject) > board.max_subject:
        raise Refusal(f"The subject is too long (at most {board.max_subject} characters).")
    if new_thread and not body:
        raise Refusal("A new thread needs a comment.")
    if not body and not has_file:
        raise Refusal("Your post is empty: write a comment or attach a file.")
    return subject, body


def check_file_policy(board: Board, *, new_thread: bool, has_file: bool) -> None:
    policy = board.thread_file if new_thread else board.reply_file
    if has_file and policy == "none":
        raise Refusal("This board does not take files here.")
    if not has_file and policy == "required":
        raise Refusal("A new thread on this board needs a file.")
