"""Posting threads and replies through the real form: rules, refusals, bumping, fall-off."""

from leftbook.database.models import Backlink, Post, Thread


def thread_row(board: str, no: int) -> Thread:
    return Thread.get(Thread.board == board, Thread.no == no)


def test_new_thread_redirects_to_the_post(post):
    response = post("soc", body="first!", subject="Hello", json=False)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/soc/res/1.html#p1")


def test_reply_returns_json_with_thread_and_number(post, new_thread):
    op = new_thread("soc")
    response = post("soc", body="a reply", thread=op)
    assert response.status_code == 200
    assert response.get_json() == {"thread": op, "no": op + 1}


def test_post_numbers_are_per_board_and_never_reused(app, post, new_thread):
    assert new_thread("soc") == 1
    assert new_thread("theory") == 1
    op = new_thread("soc")
    assert op == 2
    reply = post("soc", thread=op).get_json()["no"]
    with app.app_context():
        Post.delete().where(Post.board == "soc", Post.no == reply).execute()
    assert post("soc", thread=op).get_json()["no"] == reply + 1


def test_stored_post_fields(app, post, new_thread):
    op = new_thread("orgs", body="union meeting notes", subject="Subj", name="Rosa")
    post("orgs", thread=op, body=">quoted\r\nline two  \n\n", options="sage")
    with app.app_context():
        first = Post.get(Post.board == "orgs", Post.no == op)
        reply = Post.get(Post.board == "orgs", Post.no == op + 1)
    assert (first.subject, first.name, first.body) == ("Subj", "Rosa", "union meeting notes")
    assert reply.name == "Anonymous" and reply.sage
    assert reply.body == ">quoted\nline two"
    assert '<span class="quote">&gt;quoted</span><br>line two' in reply.html


def test_replies_bump_and_sage_does_not(app, post, new_thread, frozen_clock):
    frozen_clock(1000)
    first = new_thread("soc")
    frozen_clock(2000)
    second = new_thread("soc")
    frozen_clock(3000)
    post("soc", thread=first, options="sage")
    with app.app_context():
        assert thread_row("soc", first).bumped == 1000
    frozen_clock(4000)
    post("soc", thread=first)
    with app.app_context():
        assert thread_row("soc", first).bumped == 4000
        assert thread_row("soc", second).bumped == 2000
        assert thread_row("soc", first).replies == 2


def test_bump_limit_stops_bumping(app, post, new_thread, frozen_clock, board_settings):
    board_settings("soc", bump_limit=2)
    frozen_clock(100)
    op = new_thread("soc")
    for t in (200, 300, 400):
        frozen_clock(t)
        post("soc", thread=op)
    with app.app_context():
        assert thread_row("soc", op).bumped == 300
        assert thread_row("soc", op).replies == 3


def test_full_board_drops_least_recently_bumped_thread(app, post, new_thread, frozen_clock,
                                                       board_settings, client):
    board_settings("soc", pages=1, threads_per_page=3)
    threads = []
    for t in range(3):
        frozen_clock(1000 + t)
        threads.append(new_thread("soc", body=f"thread {t}"))
    frozen_clock(2000)
    post("soc", thread=threads[0], body="bump the oldest")
    frozen_clock(3000)
    newest = new_thread("soc", body="pushes one off")
    with app.app_context():
        remaining = {t.no for t in Thread.select().where(Thread.board == "soc")}
        assert remaining == {threads[0], threads[2], newest}
        assert Post.select().where(Post.thread_no == threads[1]).count() == 0
    assert client.get(f"/soc/res/{threads[1]}.html").status_code == 404


def test_sticky_thread_never_falls_off(app, new_thread, frozen_clock, board_settings):
    board_settings("soc", pages=1, threads_per_page=2)
    frozen_clock(10)
    sticky = new_thread("soc")
    with app.app_context():
        Thread.update(sticky=True).where(Thread.no == sticky).execute()
    for t in range(3):
        frozen_clock(20 + t)
        new_thread("soc")
    with app.app_context():
        assert Thread.select().where(Thread.board == "soc", Thread.no == sticky).exists()


def test_locked_thread_refuses_replies(app, post, new_thread):
    op = new_thread("soc")
    with app.app_context():
        Thread.update(locked=True).where(Thread.no == op).execute()
    response = post("soc", thread=op, body="let me in")
    assert response.status_code == 403
    assert "locked" in response.get_json()["error"]
    with app.app_context():
        assert Post.select().where(Post.board == "soc").count() == 1


def test_quotes_make_links_and_backlinks(app, client, post, new_thread):
    op = new_thread("soc", body="original")
    reply = post("soc", thread=op, body=f">>{op}\nagreed\n>>999").get_json()["no"]
    with app.app_context():
        stored = Post.get(Post.board == "soc", Post.no == reply)
        assert f'href="/soc/res/{op}.html#p{op}"' in stored.html
        assert '<s class="deadlink">&gt;&gt;999</s>' in stored.html
        assert Backlink.select().count() == 1
    page = client.get(f"/soc/res/{op}.html").get_data(as_text=True)
    assert f'class="backlink" href="/soc/res/{op}.html#p{reply}"' in page


def refused(response, status: int, words: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert words in response.get_json()["error"]


def test_bad_input_is_refused_and_nothing_is_stored(app, post, new_thread):
    op = new_thread("soc")
    refused(post("soc", body="x" * 5000), 400, "too long")
    refused(post("soc", body="   \n  "), 400, "needs a comment")
    refused(post("soc", body="", thread=op), 400, "empty")
    refused(post("soc", subject="s" * 101), 400, "subject is too long")
    refused(post("nosuchboard"), 404, "no such board")
    refused(post("soc", thread=424242), 404, "does not exist")
    refused(post("soc", thread="abc"), 400, "thread")
    with app.app_context():
        assert Post.select().count() == 1
        assert Thread.select().count() == 1


def forged(client, headers: dict | None = None):
    return client.post("/soc/post", data={"body": "forged", "csrf_token": "same-site-cookie"},
                       headers={"Accept": "application/json", **(headers or {})})


def test_a_post_from_another_site_is_refused(app, client, post, new_thread):
    """Forms are guarded by the SameSite=Strict form cookie (a browser never sends it with a
    request another site makes), and by the browser's own word when it gives one."""
    new_thread("soc")
    form = client.get_cookie("form")
    assert form is not None and form.http_only and form.same_site == "Strict"
    refused(forged(client, {"Sec-Fetch-Site": "cross-site"}), 400, "CSRF")
    refused(forged(client, {"Origin": "http://evil.onion"}), 400, "CSRF")
    client.delete_cookie("form")  # what a browser sends with a form posted from elsewhere
    refused(forged(client), 400, "CSRF")
    client.set_cookie("form", form.value[:-1] + ("0" if form.value[-1] != "0" else "1"))
    refused(forged(client), 400, "CSRF")
    with app.app_context():
        assert Post.select().where(Post.body == "forged").count() == 0
    client.set_cookie("form", form.value)
    for same_site in ({}, {"Sec-Fetch-Site": "same-origin"}, {"Origin": "null"},
                      {"Origin": "http://localhost"}):
        assert forged(client, same_site).status_code == 200


def test_refusal_is_an_html_page_without_a_stack_trace(post):
    response = post("soc", body="x" * 5000, json=False)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "too long" in page and "<html" in page
    assert "Traceback" not in page


def test_control_characters_and_direction_overrides_are_dropped(app, post):
    no = post("soc", body="a\x00b\u202ec\u200bd").get_json()["no"]
    with app.app_context():
        assert Post.get(Post.board == "soc", Post.no == no).body == "abcd"


def test_html_in_fields_is_escaped(client, post):
    op = post("soc", body="<script>alert(1)</script>", subject="<b>s</b>",
              name="<i>n</i>").get_json()["no"]
    page = client.get(f"/soc/res/{op}.html").get_data(as_text=True)
    assert "<script>alert" not in page and "<b>s</b>" not in page and "<i>n</i>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
