"""Search under flood control: a search costs the database more than a page, so searches
are counted like posts, in `FloodEvent` rows that every instance shares.

Limits per minute: site-wide, and per reader. A reader is told apart only by the keyed
hash of a poster token that posted lately (as flood control knows posters); every other
reader (no token, or a token minted for the occasion) shares one "newcomer" bucket, so
fresh tokens buy nothing. While flood control has switched captcha on (the site or the
board searched is under flood) every search limit is a quarter of its usual size.
"""

from leftbook import clock
from leftbook.abuse import flood
from leftbook.abuse.flood import MINUTE, FloodLimits
from leftbook.database import write_transaction
from leftbook.database.models import FloodEvent
from leftbook.refusal import Refusal

KIND = "search"
SITE_KEY = "site"
NEWCOMERS_KEY = "newcomers"
FLOOD_SHARE = 4  # limits are divided by this under flood


def admit_search(poster: str | None, board: str | None, limits: FloodLimits) -> None:
    """Count one search, or refuse it (429) when a limit is reached; `poster` is the keyed
    hash of the reader's poster token (`flood.poster_key`), if any."""
    with write_transaction():
        flood.serialise_admissions()
        now = clock.now()
        share = FLOOD_SHARE if flood.under_flood(board or "") else 1
        known = poster is not None and flood.last_post(poster, now) is not None
        reader = poster if known else NEWCOMERS_KEY
        reader_limit = limits.searcher_per_minute if known else limits.search_newcomers_per_minute
        for key, limit, who in ((SITE_KEY, limits.searches_per_minute, "the whole site"),
                                (reader, reader_limit,
                                 "you" if known else "new visitors")):
            retry = flood.window_retry(KIND, key, max(1, limit // share), MINUTE, now)
            if retry is not None:
                raise Refusal(f"Too many searches from {who} right now: try again in "
                              f"{retry} seconds.", 429, retry_after=max(1, retry))
        FloodEvent.insert_many([(KIND, SITE_KEY, now), (KIND, reader, now)], fields=[
            FloodEvent.kind, FloodEvent.key, FloodEvent.time]).execute()
