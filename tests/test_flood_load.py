"""A real flood against a real `leftbook serve` on loopback: it stays up and the limits hold."""

import pytest
import requests

from bench.flood_bench import run_flood, start_site, stop_site
from leftbook import create_app
from leftbook.abuse.flood import FloodLimits
from leftbook.database.models import Post

POSTERS = 24
SECONDS = 6


@pytest.mark.slow
def test_flood_is_refused_while_pages_stay_readable(settings, tmp_path):
    data_dir = tmp_path / "data"
    same_database = {k: v for k, v in settings.items() if k == "LEFTBOOK_DATABASE_URL"}
    process, base = start_site(data_dir, same_database)
    try:
        result = run_flood(base, board="soc", posters=POSTERS, readers=2, seconds=SECONDS,
                           max_posts_each=60)
        assert process.poll() is None, "the site is still up"
        assert requests.get(base + "/soc/", timeout=10).status_code == 200
    finally:
        stop_site(process)
    figures = result.summary()
    print("flood figures:", figures)
    limits = FloodLimits()
    assert result.errors == 0 and not any(status >= 500 for status in result.statuses)
    assert result.statuses.get(429, 0) > 0, "the flood was refused"
    assert result.retry_after_missing == 0
    # Every poster starts without a token and the run is shorter than the reply cooldown,
    # so all acceptances come from the shared newcomer bucket, checked under concurrency.
    assert limits.reply_cooldown > SECONDS
    assert 0 < len(result.accepted) <= min(limits.newcomer_per_minute, limits.board_per_minute)
    assert result.accepted_threads <= limits.threads_per_hour
    assert figures["reads"] > 0 and result.read_failures == 0
    assert figures["read_ms_median"] < 3000, "pages stay readable (loose bound; see figures)"
    app = create_app({**settings, "LEFTBOOK_DATA_DIR": str(data_dir)})
    with app.app_context():
        stored = {(p.thread_no, p.no) for p in Post.select().where(Post.board == "soc")}
    assert set(result.accepted) <= stored, "every acknowledged post is in the database"
    assert len(stored) == len(result.accepted)
