"""Your own posts ("(You)") and watched threads, held by the browser alone: signed, bounded
session cookies and a per-reader stylesheet; the pages' posts stay one shared fragment, and
the server stores nothing of either (a dump of every table shows it)."""

import re

from peewee import SQL, Table

from leftbook.database import database
from leftbook.web import reader
from tests.helpers import csrf_token

STYLESHEET = re.compile(r'<link rel="stylesheet" href="(/you\.css\?v=[0-9a-f]+)">')


def post_from(client, board: str = "soc", **fields) -> int:
    data = {"csrf_token": csrf_token(client, board), "body": "hello", **fields}
    answer = client.post(f"/{board}/post", data=data, headers={"Accept": "application/json"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()["no"]


def watch(client, board: str, no: int, do: str = "watch"):
    return client.post("/watched", data={"do": do, "board": board, "no": str(no),
                                         "back": f"/{board}/res/{no}.html",
                                         "csrf_token": csrf_token(client)})


def dump(app) -> dict:
    """Every row of every table (the search index's included)."""
    with app.app_context(), database.connection_context():
        return {t: list(Table(t).bind(database).select(SQL("*")).order_by(SQL("1")).tuples())
                for t in database.get_tables()}


def test_own_posts_and_quotes_of_them_are_marked_by_a_stylesheet_of_ones_own(app):
    mine, theirs = app.test_client(), app.test_client()
    op = post_from(mine, body="my thread")
    reply = post_from(theirs, thread=str(op), body=f">>{op}\nI disagree.")
    mine_page = mine.get(f"/soc/res/{op}.html").get_data(as_text=True)
    their_page = theirs.get(f"/soc/res/{op}.html").get_data(as_text=True)

    url = STYLESHEET.search(mine_page).group(1)
    css = mine.get(url)
    assert css.mimetype == "text/css" and "immutable" in css.headers["Cache-Control"]
    rules = css.get_data(as_text=True)
    assert f'article.post[data-board="soc"]#p{op}>header .name::after' in rules
    assert f'a.quotelink[href^="/soc/res/"][href$="#p{op}"]::after' in rules
    assert 'content:" (You)"' in rules and f"#p{reply}" not in rules
    assert f'<a class="quotelink" href="/soc/res/{op}.html#p{op}">' in their_page

    their_url = STYLESHEET.search(their_page).group(1)
    assert f"#p{reply}" in theirs.get(their_url).get_data(as_text=True)
    stranger = app.test_client().get(f"/soc/res/{op}.html").get_data(as_text=True)
    assert STYLESHEET.search(stranger) is None

    def posts_html(page: str) -> str:  # the shared fragment: the same for every reader
        return page[page.index('<section class="thread"'):page.index("</section>")]

    assert posts_html(mine_page) == posts_html(their_page) == posts_html(stranger)
    assert mine.get("/you.css?v=stale").headers["Cache-Control"] == "private, no-cache"


def test_watching_counts_new_replies_since_the_last_visit(app):
    me, other = app.test_client(), app.test_client()
    op = post_from(other, body="a thread to follow", subject="Follow me")
    assert "Watch this thread" in me.get(f"/soc/res/{op}.html").get_data(as_text=True)
    answer = watch(me, "soc", op)
    assert answer.status_code == 303 and answer.headers["Location"] == f"/soc/res/{op}.html"
    assert "Unwatch" in me.get(f"/soc/res/{op}.html").get_data(as_text=True)
    assert "nothing new" in me.get("/watched").get_data(as_text=True)

    post_from(other, thread=str(op), body="news one")
    post_from(other, thread=str(op), body="news two")
    page = me.get("/watched").get_data(as_text=True)
    assert "Follow me" in page and "2 new replies" in page
    assert "2 new replies" in me.get("/watched").get_data(as_text=True), "only a visit resets"
    me.get(f"/soc/res/{op}.html")
    assert "nothing new" in me.get("/watched").get_data(as_text=True)

    assert watch(me, "soc", op, "unwatch").status_code == 303
    assert "No watched threads" in me.get("/watched").get_data(as_text=True)
    assert watch(me, "soc", 999).status_code == 404
    assert watch(me, "nosuch", 1).status_code == 404


def test_a_watched_thread_that_is_gone_leaves_the_list(app, client, new_thread):
    kept, doomed = new_thread("soc", body="stays"), new_thread("soc", body="goes")
    watch(client, "soc", kept)
    watch(client, "soc", doomed)
    from leftbook.database import write_transaction
    from leftbook.database.models import Post
    from leftbook.retention.removal import delete_post

    with app.app_context(), database.connection_context(), write_transaction():
        delete_post(Post.get(Post.board == "soc", Post.no == doomed))
    page = client.get("/watched").get_data(as_text=True)
    assert "1 watched thread was pruned or deleted" in page and "stays" in page
    assert "pruned or deleted" not in client.get("/watched").get_data(as_text=True)


def test_cookies_are_signed_and_bounded(app, client, new_thread):
    numbers = [new_thread("soc", body=f"thread {n}") for n in range(3)]
    for n in range(150):
        response = app.response_class()
        cookie = client.get_cookie("you")
        with app.test_request_context(headers={"Cookie": f"you={cookie.value if cookie else ''}"}):
            reader.remember_own_post(response, "soc", 1000 + n)
        client.set_cookie("you", response.headers["Set-Cookie"].split(";")[0].split("=", 1)[1])
    assert len(client.get_cookie("you").value) <= reader.MAX_COOKIE
    with app.test_request_context(headers={"Cookie": f"you={client.get_cookie('you').value}"}):
        kept = reader.own_posts()
    assert len(kept) <= reader.MAX_OWN_POSTS and kept[-1] == ("soc", 1149)
    good = client.get_cookie("you").value
    stranger = app.test_client()
    stranger.set_cookie("you", good)
    assert STYLESHEET.search(stranger.get(f"/soc/res/{numbers[0]}.html").get_data(as_text=True))
    payload, _, signature = good.rpartition(".")
    altered = app.test_client()
    altered.set_cookie("you", payload[:-4] + "AAAA." + signature)
    assert STYLESHEET.search(altered.get(f"/soc/res/{numbers[0]}.html").get_data(as_text=True)) \
        is None
    altered.set_cookie("watch", "garbage")
    assert altered.get("/watched").status_code == 200


def test_a_changed_cookie_changes_the_pages_validator(app, client, new_thread):
    op = new_thread("soc", body="a thread")
    first = client.get(f"/soc/res/{op}.html")
    tag = {"If-None-Match": first.headers["ETag"]}
    assert client.get(f"/soc/res/{op}.html", headers=tag).status_code == 304
    watch(client, "soc", op)
    assert client.get(f"/soc/res/{op}.html", headers=tag).status_code == 200


def test_the_server_stores_nothing_of_own_posts_or_watched_threads(app):
    me, other = app.test_client(), app.test_client()
    op = post_from(me, body="my own thread")
    post_from(other, thread=str(op), body=f">>{op} a reply")
    before = dump(app)
    watch(me, "soc", op)
    page = me.get(f"/soc/res/{op}.html").get_data(as_text=True)
    me.get(STYLESHEET.search(page).group(1))
    me.get("/watched")
    watch(me, "soc", op, "unwatch")
    watch(me, "soc", op)
    after = dump(app)
    assert after == before, "watching and reading with the cookies wrote nothing"
    everything = repr(after)
    for name in ("you", "watch"):
        value = me.get_cookie(name).value
        assert value and value not in everything and value.split(".")[0] not in everything


def test_the_stylesheet_link_is_not_made_from_the_posts(app, client, new_thread):
    """Its version is random, new at each change: the page variant cached under it
    (shared.py) cannot be matched to a list of posts by hashing candidate lists."""
    op = new_thread("soc", body="a thread")
    versions = []
    for _ in range(2):  # the same list of posts, remembered twice
        response = app.response_class()
        cookie = client.get_cookie("you")
        with app.test_request_context(headers={"Cookie": f"you={cookie.value}"}):
            reader.remember_own_post(response, "soc", op)
        client.set_cookie("you", response.headers["Set-Cookie"].split(";")[0].split("=", 1)[1])
        link = STYLESHEET.search(client.get(f"/soc/res/{op}.html").get_data(as_text=True))
        versions.append(link.group(1))
    assert versions[0] != versions[1]
    assert "immutable" in client.get(versions[1]).headers["Cache-Control"]
    assert "immutable" not in client.get(versions[0]).headers["Cache-Control"]
