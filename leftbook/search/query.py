"""What a reader typed into the search box, read into phrases to find and phrases to leave out.

A query is never handed to a database's query language as typed: it is read here into
words (runs of letters and digits), and each backend builds its own query from those
words alone, so no operator, quote, bracket or asterisk can cause a syntax error. The
reading is bounded (characters, words, phrases), so no query can ask for much work.

    strike            posts with the word (stemmed: "strikes" finds "strike")
    rent strike       posts with both words, anywhere
    "rent strike"     posts with the phrase
    -landlord         leave out posts with the word; -"a phrase" too
    don't             read as the phrase "don t", as the index reads it

A quote left open runs to the end of the query.
"""

import re
import unicodedata
from dataclasses import dataclass

from leftbook.refusal import Refusal

MAX_CHARACTERS = 200
MAX_PHRASES = 8  # to find
MAX_EXCLUDED = 4  # to leave out
MAX_PHRASE_WORDS = 10
MAX_WORD = 40  # characters

# an optional "-", then a quoted phrase (the closing quote may be missing) or a bare token
TOKEN = re.compile(r'(?P<minus>-?)(?:"(?P<quoted>[^"]*)"?|(?P<bare>[^\s"]+))')
WORD = re.compile(r"[^\W_]+")

Phrase = tuple[str, ...]


@dataclass(frozen=True)
class Query:
    """A search: every phrase of `find` must be in a post, none of `leave_out`."""

    find: tuple[Phrase, ...]
    leave_out: tuple[Phrase, ...] = ()

    def describe(self) -> str:
        """The query as the reader could have typed it, in its normal form."""
        def show(phrase: Phrase) -> str:
            return phrase[0] if len(phrase) == 1 else '"' + " ".join(phrase) + '"'

        return " ".join([*map(show, self.find), *("-" + show(p) for p in self.leave_out)])


def _words(text: str) -> Phrase:
    words = tuple(WORD.findall(text))
    if any(len(word) > MAX_WORD for word in words):
        raise Refusal(f"Search words can have at most {MAX_WORD} letters.")
    if len(words) > MAX_PHRASE_WORDS:
        raise Refusal(f"A phrase can have at most {MAX_PHRASE_WORDS} words.")
    return words


def parse(text: str) -> Query | None:
    """The query in `text`; None when it is blank (nothing to search for)."""
    if len(text) > MAX_CHARACTERS:
        raise Refusal(f"A search can be at most {MAX_CHARACTERS} characters long.")
    text = unicodedata.normalize("NFKC", text).casefold()
    if not text.strip():
        return None
    find: list[Phrase] = []
    leave_out: list[Phrase] = []
    for token in TOKEN.finditer(text):
        quoted = token["quoted"]
        phrase = _words(quoted if quoted is not None else token["bare"])
        target = leave_out if token["minus"] else find
        if phrase and phrase not in target:
            target.append(phrase)
    if len(find) > MAX_PHRASES:
        raise Refusal(f"A search can look for at most {MAX_PHRASES} words or phrases.")
    if len(leave_out) > MAX_EXCLUDED:
        raise Refusal(f"A search can leave out at most {MAX_EXCLUDED} words or phrases.")
    if not find:
        raise Refusal("Type at least one word to look for (letters or digits); words with a "
                      "minus sign before them are only left out.")
    return Query(tuple(find), tuple(leave_out))
