"""What the speed-ups could break: shared pages stay fresh on every instance, a 304 is never
given for a page that changed, no reader gets another's tokens, prefill or message from the
cache, and compressed and plain answers carry the same page (issue 18)."""

import gzip
import re

import pytest

from leftbook import create_app
from leftbook.database.models import Post
from leftbook.retention import prune as retention
from leftbook.web import pagecache, shared
from tests.helpers import CSRF_INPUT
from tests.test_janitor import act, grant, open_link
from tests.test_reader import STYLESHEET, post_from, watch

GZIP = {"Accept-Encoding": "gzip"}


def fetch(client, path: str, **headers):
    return client.get(path, headers=headers)


def revalidate(client, path: str, etag: str):
    return client.get(path, headers={**GZIP, "If-None-Match": f'"{etag}"'})


def etag_of(client, path: str) -> str:
    response = fetch(client, path, **GZIP)
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
    return response.get_etag()[0]


def plain(response) -> str:
    data = response.get_data()
    if response.headers.get("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    return data.decode()


def test_a_post_through_one_instance_is_visible_at_once_on_the_other(settings, new_thread):
    """Two apps on one database, each with its own page cache (as two processes have)."""
    first, second = create_app(settings), create_app(settings)
    readers = [app.test_client() for app in (first, second)]
    op = new_thread("soc", body="the opening")  # through the `app` fixture's own client
    for reader in readers:
        for _ in range(2):  # the second answer comes from the cache (or the fast path)
            assert "the opening" in plain(fetch(reader, f"/soc/res/{op}.html", **GZIP))
    tags = [etag_of(reader, f"/soc/res/{op}.html") for reader in readers]
    assert tags[0] == tags[1], "both instances name the same page alike"
    poster = readers[0]
    poster.get("/soc/")
    made = poster.post("/soc/post", data={"thread": op, "body": "a reply via the first"},
                       headers={"Accept": "application/json"})
    assert made.status_code == 200
    for reader, tag in zip(readers, tags, strict=True):
        fresh = revalidate(reader, f"/soc/res/{op}.html", tag)
        assert fresh.status_code == 200 and "a reply via the first" in plain(fresh)
        assert "a reply via the first" in plain(fetch(reader, "/soc/", **GZIP))


def changes(app, runner, client, post, new_thread, op: int):
    """Each change a page must show, made in turn (names for the failure message)."""
    yield "a reply", lambda: post("soc", thread=op, body="another reply")
    mine = post("soc", thread=op, body="mine to delete", password="pw").get_json()["no"]
    yield "a poster deleting their post", lambda: client.post(
        "/soc/delete", data={"post": mine, "password": "pw"})
    token = grant(runner, "--board", "soc", "--days", "1")
    janitor = app.test_client()
    open_link(janitor, token)
    reply = post("soc", thread=op, body="to be removed").get_json()["no"]
    yield "a janitor deleting a post", lambda: act(janitor, "soc", "delete", reply)
    yield "a lock", lambda: act(janitor, "soc", "lock", op)
    yield "a sticky", lambda: act(janitor, "soc", "sticky", op)


@pytest.mark.parametrize("path", ["/soc/res/{op}.html", "/soc/", "/soc/catalog.html"])
def test_no_304_for_a_page_that_changed(app, runner, client, post, new_thread, path):
    op = new_thread("soc", body="the thread")
    path = path.format(op=op)
    for what, change in changes(app, runner, client, post, new_thread, op):
        before = fetch(client, path, **GZIP)
        tag = before.get_etag()[0]
        assert revalidate(client, path, tag).status_code == 304, f"unchanged before {what}"
        change()
        after = revalidate(client, path, tag)
        assert after.status_code == 200, f"a 304 after {what}"
        assert plain(after) != plain(before) or path.endswith("catalog.html"), what


def test_no_304_after_a_prune_pass(app, client, new_thread, frozen_clock):
    frozen_clock(1_800_000_000)
    old = new_thread("soc", body="an old thread")
    tag = etag_of(client, "/soc/")
    frozen_clock(1_800_000_000 + app.config["BOARDS"]["soc"].thread_ttl + 1)
    with app.app_context():
        assert retention.prune(app.config["BOARDS"], app.config["STORE"])["threads"] == 1
    after = revalidate(client, "/soc/", tag)
    assert after.status_code == 200 and "an old thread" not in plain(after)
    assert revalidate(client, f"/soc/res/{old}.html", tag).status_code == 404


def test_a_janitor_never_gets_a_readers_copy_nor_a_reader_a_janitors(app, runner, client,
                                                                     new_thread):
    op = new_thread("soc", body="the thread")
    path = f"/soc/res/{op}.html"
    reader_tag = etag_of(client, path)
    janitor = app.test_client()
    open_link(janitor, grant(runner, "--board", "soc", "--days", "1"))
    seen = revalidate(janitor, path, reader_tag)
    assert seen.status_code == 200 and 'value="lock:' in plain(seen)
    assert "Content-Encoding" not in seen.headers, "a page with a janitor's token is not compressed"
    janitor_token = CSRF_INPUT.search(plain(seen)).group(1)
    for _ in range(2):
        page = plain(fetch(app.test_client(), path, **GZIP))
        assert 'value="lock:' not in page and janitor_token not in page
    assert revalidate(client, path, seen.get_etag()[0]).status_code == 200


def test_no_reader_gets_anothers_message_or_prefill(app, client, post, new_thread):
    op = new_thread("soc", body="the thread")
    mine = post("soc", thread=op, body="mine", password="pw").get_json()["no"]
    client.post("/soc/delete", data={"post": mine, "password": "pw",
                                     "back": f"/soc/res/{op}.html"})
    other = app.test_client()
    assert f"Deleted No.{mine}." not in plain(fetch(other, f"/soc/res/{op}.html", **GZIP))
    shown = fetch(client, f"/soc/res/{op}.html", **GZIP)
    assert f"Deleted No.{mine}." in plain(shown), "the deleter is told"
    assert shown.headers["Cache-Control"] == "private, no-store"
    assert "Content-Encoding" not in shown.headers
    refused = client.post("/soc/post", data={"thread": op, "body": "x" * 9000 + "PREFILL"})
    assert "PREFILL" in refused.get_data(as_text=True)
    assert "PREFILL" not in plain(fetch(other, f"/soc/res/{op}.html", **GZIP))


def test_captcha_challenges_are_each_readers_own(settings, new_thread):
    app = create_app({**settings, "LEFTBOOK_CAPTCHA": "always"})
    first, second = app.test_client(), app.test_client()
    pages = [plain(fetch(c, "/soc/", **GZIP)) for c in (first, second, first)]
    challenges = [re.search(r'name="captcha_challenge" value="([^"]+)"', p).group(1)
                  for p in pages]
    assert challenges[0] != challenges[1] and challenges[0] == challenges[2]


@pytest.mark.parametrize("path", ["/", "/rules.html", "/soc/", "/soc/catalog.html",
                                  "/soc/res/{op}.html"])
def test_compressed_and_plain_answers_carry_the_same_page(client, new_thread, path):
    op = new_thread("soc", body="words " * 200)
    path = path.format(op=op)
    for _ in range(2):  # rendered, then from the cache
        zipped = fetch(client, path, **GZIP)
        unzipped = fetch(client, path)
        assert zipped.headers["Content-Encoding"] == "gzip"
        assert "Content-Encoding" not in unzipped.headers
        assert gzip.decompress(zipped.get_data()) == unzipped.get_data()
        assert zipped.get_etag()[0] != unzipped.get_etag()[0]
        assert "Accept-Encoding" in zipped.headers["Vary"]
        assert len(zipped.get_data()) < len(unzipped.get_data())
    refused = fetch(client, path, **{"Accept-Encoding": "gzip;q=0, br"})
    assert "Content-Encoding" not in refused.headers


def test_the_fast_path_answers_as_flask_does(app, new_thread):
    """The second request of a page is answered before Flask: same bytes, same headers."""
    op = new_thread("soc", body="the thread")
    path = f"/soc/res/{op}.html"
    rendered = fetch(app.test_client(), path, **GZIP)
    calls = []
    original = app.full_dispatch_request
    app.full_dispatch_request = lambda: calls.append(1) or original()
    cached = fetch(app.test_client(), path, **GZIP)
    assert calls == [], "served from the page cache, not by Flask"
    assert cached.get_data() == rendered.get_data()
    for name in ("Content-Security-Policy", "ETag", "Content-Encoding", "Vary",
                 "Cache-Control", "Last-Modified", "X-Frame-Options", "Referrer-Policy"):
        assert cached.headers[name] == rendered.headers[name], name
    assert cached.headers["Set-Cookie"].startswith("form=")
    assert revalidate(app.test_client(), path, cached.get_etag()[0]).status_code == 304
    assert calls == []


def test_shared_pages_carry_no_secret(app, client, new_thread):
    op = new_thread("soc", body="the thread")
    page = plain(fetch(client, f"/soc/res/{op}.html", **GZIP))
    for name in ("form", "poster", "password"):
        assert client.get_cookie(name).value not in page, f"the {name} cookie is in a page"
    assert CSRF_INPUT.search(page).group(1) == "same-site-cookie"


def test_posts_made_are_all_kept_when_the_cache_is_warm(app, client, post, new_thread):
    op = new_thread("soc", body="the thread")
    for n in range(5):
        fetch(client, f"/soc/res/{op}.html", **GZIP)
        assert post("soc", thread=op, body=f"reply {n}").status_code == 200
        assert f"reply {n}" in plain(fetch(client, f"/soc/res/{op}.html", **GZIP))
    with app.app_context():
        assert Post.select().count() == 6


def test_what_a_browser_remembers_makes_its_own_copy_never_anothers(app, new_thread):
    """A poster's page links its "(You)" stylesheet and a watcher's says it watches: each
    is kept and compressed like the shared page, and goes to no other browser."""
    op = new_thread("soc", body="the thread")
    path = f"/soc/res/{op}.html"
    poster, watcher, stranger = app.test_client(), app.test_client(), app.test_client()
    post_from(poster, thread=str(op), body="my reply")
    assert watch(watcher, "soc", op).status_code == 303
    copies = {}
    for name, browser in (("stranger", stranger), ("poster", poster), ("watcher", watcher)):
        for _ in range(2):  # rendered, then from the cache
            answer = fetch(browser, path, **GZIP)
            assert answer.headers["Content-Encoding"] == "gzip", name
            copies[name] = (plain(answer), answer.get_etag()[0])
    assert STYLESHEET.search(copies["poster"][0]) and "Unwatch" not in copies["poster"][0]
    assert "Unwatch" in copies["watcher"][0] and not STYLESHEET.search(copies["watcher"][0])
    shared = copies["stranger"][0]
    assert not STYLESHEET.search(shared) and "Unwatch" not in shared
    assert plain(fetch(app.test_client(), path, **GZIP)) == shared, "the fast path's copy"
    for name, browser in (("stranger", stranger), ("poster", poster), ("watcher", watcher)):
        for other, (_page, etag) in copies.items():
            expected = 304 if other == name else 200
            assert revalidate(browser, path, etag).status_code == expected, (name, other)


def test_a_catalogs_order_is_its_own_page_and_a_filter_the_readers_alone(client, post,
                                                                       new_thread,
                                                                       frozen_clock):
    frozen_clock(1_800_000_000)
    older = new_thread("soc", body="alpha thread")
    frozen_clock(1_800_000_060)
    new_thread("soc", body="beta thread")
    frozen_clock(1_800_000_120)
    post("soc", thread=older, body="a bump")
    reader = client.application.test_client()

    def order(page: str) -> list[str]:
        return re.findall(r"(alpha|beta) thread", page)

    default = fetch(reader, "/soc/catalog.html", **GZIP)
    by_creation = fetch(reader, "/soc/catalog.html?sort=created", **GZIP)
    assert order(plain(default)) == ["alpha", "beta"]
    assert order(plain(by_creation)) == ["beta", "alpha"]
    assert plain(fetch(reader, "/soc/catalog.html", **GZIP)) == plain(default)
    assert revalidate(reader, "/soc/catalog.html", by_creation.get_etag()[0]).status_code == 200
    filtered = fetch(reader, "/soc/catalog.html?q=beta", **GZIP)
    assert order(plain(filtered)) == ["beta"] and "Content-Encoding" not in filtered.headers
    assert order(plain(fetch(reader, "/soc/catalog.html", **GZIP))) == ["alpha", "beta"]


def test_an_event_boards_pages_change_with_the_day_on_the_fast_path(app, event_thread,
                                                                    frozen_clock):
    frozen_clock(1_800_000_000)  # 2027-01-15 08:00 UTC
    event_thread("2027-01-15T19:00", subject="tonight")
    reader = app.test_client()
    fetch(reader, "/events/")
    calls = []
    original = app.full_dispatch_request
    app.full_dispatch_request = lambda: calls.append(1) or original()
    first = fetch(reader, "/events/")
    assert calls == [] and "Happening today" in plain(first)
    frozen_clock(1_800_000_000 + 28 * 3600)  # noon the next day: the event is over
    later = revalidate(reader, "/events/", first.get_etag()[0])
    assert later.status_code == 200 and "Past events" in plain(later)


def test_a_page_is_compressed_once_per_version_not_per_request(app, post, new_thread,
                                                               monkeypatch):
    op = new_thread("soc", body="the thread")
    made = []
    original = pagecache.gzip.compress
    monkeypatch.setattr(pagecache.gzip, "compress",
                        lambda data, **kw: made.append(len(data)) or original(data, **kw))
    path = f"/soc/res/{op}.html"
    for _ in range(3):  # a reader's first visit renders; the others come from the cache
        assert fetch(app.test_client(), path, **GZIP).headers["Content-Encoding"] == "gzip"
    assert len(made) == 1
    post("soc", thread=op, body="a new reply")
    for _ in range(3):
        assert "a new reply" in plain(fetch(app.test_client(), path, **GZIP))
    assert len(made) == 2, "compressed again once, for the new version"


def test_asking_for_many_missing_pages_keeps_nothing_for_each(app, new_thread):
    """An attacker's GETs are free behind Tor: a path that names no page leaves no trace
    in the server's memory (Last-Modified is kept per board, pages only once rendered)."""
    new_thread("soc", body="the one thread")
    stranger = app.test_client()
    for n in range(100, 400):
        assert stranger.get(f"/soc/res/{n}.html").status_code == 404
        assert stranger.get(f"/soc/{n}.html").status_code == 404
    assert len(app.extensions["leftbook_version_seen"]) <= 2
    assert {key[0] for key in app.extensions[shared.CACHE]._entries} <= {"/soc/"}
