"""Pages a reader sees without JavaScript: home, rules, index, catalog, thread; light and cached."""

import re

from leftbook.database.models import Thread


def text(response) -> str:
    return response.get_data(as_text=True)


def test_home_lists_boards_and_site_rules(client):
    page = text(client.get("/"))
    for slug in ("theory", "soc", "orgs", "events", "meta"):
        assert f'href="/{slug}/"' in page
    assert "Do not organise here" in page
    assert "No personal details" in page


def test_rules_page_has_site_and_board_rules(client):
    page = text(client.get("/rules.html"))
    assert "people you know" in page
    assert "Argue the point, not the person" in page


def test_pages_are_light_one_stylesheet_no_script(app, new_thread):
    op = new_thread("soc")
    client = app.test_client()  # a reader who has not posted: no "(You)" stylesheet
    for path in ("/", "/soc/", "/soc/catalog.html", f"/soc/res/{op}.html", "/rules.html",
                 "/overboard/", "/overboard/catalog.html", "/search?q=opening", "/watched"):
        page = text(client.get(path))
        assert "<script" not in page.lower(), path
        assert len(re.findall(r"<link[^>]+stylesheet", page)) == 1, path
        assert not re.search(r'(src|href)="(https?:)?//', page), path
        assert ' style="' not in page, path
    css = client.get("/static/style.css")
    assert css.status_code == 200 and len(css.data) < 8 * 1024
    assert b"prefers-color-scheme:dark" in css.data


def test_index_shows_op_last_replies_and_omitted_count(client, post, new_thread):
    op = new_thread("soc", body="the opening post")
    for n in range(7):
        post("soc", thread=op, body=f"reply number {n}")
    page = text(client.get("/soc/"))
    assert "the opening post" in page
    assert "reply number 6" in page and "reply number 2" in page
    assert "reply number 1" not in page
    assert "2 replies omitted" in page
    assert 'name="thread"' not in page.split("postsform")[0], "index form starts a thread"


def test_index_pagination(app, client, new_thread, frozen_clock, board_settings):
    board_settings("soc", threads_per_page=2)
    for t in range(5):
        frozen_clock(100 + t)
        new_thread("soc", body=f"thread body {t}")
    first, second, third = (text(client.get(p)) for p in ("/soc/", "/soc/2.html", "/soc/3.html"))
    assert "thread body 4" in first and "thread body 3" in first
    assert "thread body 2" in second and "thread body 0" in third
    assert 'href="/soc/3.html"' in first
    assert client.get("/soc/4.html").status_code == 404
    assert client.get("/soc/1.html").status_code in (301, 308)


def test_sticky_thread_is_on_top(app, client, new_thread, frozen_clock):
    frozen_clock(100)
    old = new_thread("soc", body="old sticky")
    frozen_clock(200)
    new_thread("soc", body="newer thread")
    with app.app_context():
        Thread.update(sticky=True).where(Thread.no == old).execute()
    page = text(client.get("/soc/"))
    assert page.index("old sticky") < page.index("newer thread")


def test_thread_page_anchors_every_post_and_has_reply_form(client, post, new_thread):
    op = new_thread("soc")
    reply = post("soc", thread=op, body="second").get_json()["no"]
    page = text(client.get(f"/soc/res/{op}.html"))
    assert f'id="p{op}"' in page and f'id="p{reply}"' in page
    assert f'name="thread" value="{op}"' in page
    assert client.get(f"/soc/res/{reply}.html").headers["Location"].endswith(
        f"/soc/res/{op}.html#p{reply}")
    assert client.get("/soc/res/999.html").status_code == 404


def test_locked_thread_page_has_no_reply_form(app, client, new_thread):
    op = new_thread("soc")
    with app.app_context():
        Thread.update(locked=True).where(Thread.no == op).execute()
    page = text(client.get(f"/soc/res/{op}.html"))
    assert "locked" in page and 'name="thread"' not in page


def test_catalog_lists_threads_with_counts(client, post, new_thread):
    op = new_thread("soc", body="catalog me", subject="Cat")
    post("soc", thread=op)
    page = text(client.get("/soc/catalog.html"))
    assert "catalog me" in page and "Cat" in page and "R: 1 / I: 0" in page


def test_unchanged_page_answers_304_and_changes_after_a_post(client, post, new_thread):
    op = new_thread("soc")
    first = client.get(f"/soc/res/{op}.html")
    etag = first.headers["ETag"]
    again = client.get(f"/soc/res/{op}.html", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    post("soc", thread=op, body="news")
    fresh = client.get(f"/soc/res/{op}.html", headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and "news" in text(fresh)


def test_cached_fragment_is_not_served_after_a_change(client, post, new_thread):
    op = new_thread("soc")
    client.get("/soc/")
    post("soc", thread=op, body="fresh reply text")
    assert "fresh reply text" in text(client.get("/soc/"))
    assert "fresh reply text" in text(client.get(f"/soc/res/{op}.html"))


def test_unknown_board_and_page_are_friendly_404s(client):
    response = client.get("/nope/")
    assert response.status_code == 404 and "no such board" in text(response)


def test_pages_racing_a_prune_pass_get_the_page_or_a_404(app, new_thread, post, frozen_clock,
                                                        monkeypatch):
    """A reader during a pass sees a whole page or a 404, never an error or a half thread."""
    import threading

    from leftbook.database import database
    from leftbook.retention import prune as retention

    frozen_clock(1_000_000)
    threads = [new_thread("soc", body=f"doomed {n}") for n in range(12)]
    for op in threads:
        for n in range(3):
            post("soc", thread=op, body=f"reply {n} to {op}")
    frozen_clock(1_000_000 + 365 * 86400)
    statuses: list[tuple[str, int, str]] = []
    done = threading.Event()

    def read() -> None:
        reader = app.test_client()
        while not done.is_set():
            for path in ["/soc/", "/soc/catalog.html", *(f"/soc/res/{op}.html" for op in threads)]:
                response = reader.get(path)
                statuses.append((path, response.status_code, response.get_data(as_text=True)))

    readers = [threading.Thread(target=read) for _ in range(2)]
    for reader in readers:
        reader.start()
    try:
        with app.app_context(), database.connection_context():
            counts = retention.prune(app.config["BOARDS"], app.config["STORE"],
                                     batch_posts=4)
    finally:
        done.set()
        for reader in readers:
            reader.join(timeout=30)
    assert counts["threads"] == 12
    assert statuses
    for path, status, body in statuses:
        assert status in (200, 404), (path, status)
        if status == 200 and "/res/" in path:
            op = path.rsplit("/", 1)[1].split(".")[0]
            assert body.count(f"reply 0 to {op}") == body.count(f"reply 2 to {op}") == 1, path


def test_index_shows_one_reply_under_a_sticky(app, client, post, new_thread):
    op = new_thread("soc", body="pinned notice")
    for n in range(3):
        post("soc", thread=op, body=f"sticky reply {n}")
    with app.app_context():
        Thread.update(sticky=True).where(Thread.no == op).execute()
        from leftbook.retention.removal import bump_version
        bump_version("soc")
    page = text(client.get("/soc/"))
    assert "sticky reply 2" in page and "sticky reply 1" not in page
    assert "2 replies omitted" in page
