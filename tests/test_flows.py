"""Flows a person meets in Tor Browser at Safest (no JavaScript): every action says what
happened and returns somewhere that exists; feeds, favicon and static files cost no extra
round trips; janitor pages offer only what applies and ask before bulk deletion."""

import io
import re
import time

from PIL import Image

from leftbook.database.models import Post


def csrf(client, path: str = "/soc/") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"',
                     client.get(path).get_data(as_text=True)).group(1)


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def png() -> tuple:
    out = io.BytesIO()
    Image.new("RGB", (60, 40), (10, 120, 200)).save(out, "PNG")
    return (io.BytesIO(out.getvalue()), "x.png")


def test_deleting_your_own_thread_lands_on_the_board_with_a_message(client, new_thread):
    op = new_thread("soc", body="mine", password="pw")
    response = client.post("/soc/delete", data={"csrf_token": csrf(client), "post": op,
                                                "password": "pw",
                                                "back": f"/soc/res/{op}.html"})
    assert response.status_code == 303 and response.headers["Location"] == "/soc/"
    assert f"Deleted No.{op}." in page(client, "/soc/")
    assert f"Deleted No.{op}." not in page(client, "/soc/"), "said once"


def test_a_wrong_password_says_so_on_the_page_and_deletes_nothing(app, client, post,
                                                                  new_thread):
    op = new_thread("soc", body="theirs", password="theirs")
    reply = post("soc", thread=op, body="r", password="x").get_json()["no"]
    back = f"/soc/res/{op}.html"
    response = client.post("/soc/delete", data={"csrf_token": csrf(client), "post": reply,
                                                "password": "wrong", "back": back})
    assert response.status_code == 303 and response.headers["Location"] == back
    assert "Wrong password for post" in page(client, back)
    with app.app_context():
        assert Post.select().count() == 2


def test_reporting_from_a_posts_own_page_says_thank_you(client, new_thread):
    op = new_thread("soc", body="a post to report")
    thread = page(client, f"/soc/res/{op}.html")
    report_link = f"/soc/report/{op}"
    assert report_link in thread
    form = page(client, report_link)
    assert "a post to report" in form and 'name="reason"' in form
    assert form.count('type="submit"') == 1, "Enter in any field files the report"
    response = client.post("/soc/report", data={"csrf_token": csrf(client, report_link),
                                                "post": op, "reason": "doxxing",
                                                "text": "a street name", "back": "/x/\n"})
    assert response.status_code == 303
    assert f"Reported No.{op}. Thank you" in page(client, response.headers["Location"])


def test_a_file_only_delete_leaves_a_mark(client, post, new_thread):
    op = new_thread("soc", body="with a picture", password="pw", file=png())
    client.post("/soc/delete", data={"csrf_token": csrf(client), "post": op, "password": "pw",
                                     "file_only": "y"})
    assert "File deleted." in page(client, f"/soc/res/{op}.html")
    assert client.get(f"/soc/res/{op}.json").get_json()["posts"][0]["filedeleted"] == 1


def test_an_empty_board_offers_to_start_a_thread_and_nothing_to_delete(client):
    board = page(client, "/meta/")
    assert '<a href="#postform">Start one</a>' in board
    assert "Delete your own posts" not in board and 'id="postform" open' in board
    assert "has only 1 page." in client.get("/meta/2.html").get_data(as_text=True)


def test_feeds_and_the_api_are_linked_and_shown_by_browsers(client, new_thread):
    op = new_thread("soc", body="feed me")
    board, thread = page(client, "/soc/"), page(client, f"/soc/res/{op}.html")
    assert '<link rel="alternate" type="application/atom+xml"' in board
    assert 'href="/soc/index.atom"' in board and 'href="/soc/catalog.json"' in board
    assert f'href="/soc/res/{op}.atom"' in thread and f'href="/soc/res/{op}.json"' in thread
    browser = client.get("/soc/index.atom", headers={"Accept": "text/html,*/*;q=0.8"})
    assert browser.mimetype == "text/xml" and b"xml-stylesheet" in browser.data
    reader = client.get("/soc/index.atom", headers={"Accept": "application/atom+xml"})
    assert reader.mimetype == "application/atom+xml" and b"xml-stylesheet" not in reader.data
    assert "Accept" in reader.headers["Vary"]


def test_revisits_cost_no_round_trip_for_static_files(client):
    board = page(client, "/soc/")
    css = re.search(r'href="(/static/style\.css\?v=[0-9a-f]{12})"', board).group(1)
    response = client.get(css)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    for path, kind in (("/favicon.ico", "image/vnd.microsoft.icon"),
                       ("/robots.txt", "text/plain")):
        answer = client.get(path)
        assert answer.status_code == 200 and answer.mimetype == kind, path
        assert "max-age=" in answer.headers["Cache-Control"]
    assert b"Disallow: /" in client.get("/robots.txt").data


def test_janitor_sees_only_the_actions_that_apply(app, runner, client, new_thread):
    op = new_thread("soc", body="a thread")
    link = re.search(r"/janitor/\S+", runner.invoke(args=["janitor", "grant", "--all"]).output)
    client.get(link.group(0))
    thread = page(client, f"/soc/res/{op}.html")
    assert f'value="lock:{op}"' in thread and f'value="unlock:{op}"' not in thread
    assert f'value="sticky:{op}"' in thread and f'value="unsticky:{op}"' not in thread
    client.post("/janitor/action/soc", data={"csrf_token": csrf(client), "do": f"lock:{op}",
                                             "back": f"/soc/res/{op}.html"})
    thread = page(client, f"/soc/res/{op}.html")
    assert f'value="unlock:{op}"' in thread and f'value="lock:{op}"' not in thread
    assert f"Locked thread No.{op}." in thread


def test_a_janitor_session_ends_within_a_day_whatever_the_links_life(runner, client):
    link = re.search(r"/janitor/\S+", runner.invoke(
        args=["janitor", "grant", "--all", "--days", "30"]).output).group(0)
    response = client.get(link)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("janitor=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    expires = re.search(r"Expires=([^;]+)", cookie).group(1)
    lasts = time.mktime(time.strptime(expires, "%a, %d %b %Y %H:%M:%S GMT")) - time.mktime(
        time.gmtime())
    assert 0 < lasts <= 12 * 3600 + 60


def test_a_refused_post_comes_back_filled_and_nothing_is_stored(app, client, board_settings):
    board_settings("soc", max_body=20)
    sent = {"csrf_token": csrf(client), "name": "Rosa#luxemburg", "options": "sage",
            "subject": "On reform", "body": "far too long for this board", "spoiler": "y",
            "file": png()}
    response = client.post("/soc/post", data=sent, content_type="multipart/form-data")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Not posted:" in text and "too long" in text
    assert 'value="Rosa#luxemburg"' in text and 'value="sage"' in text
    assert 'value="On reform"' in text and ">far too long for this board</textarea>" in text
    assert 'name="spoiler" value="y" checked' in text
    assert "attach it again" in text
    with app.app_context():
        assert Post.select().count() == 0


def test_a_captcha_asked_for_is_shown_inline_and_one_more_submit_posts(settings):
    from leftbook import create_app
    from leftbook.abuse import captcha

    app = create_app({**settings, "LEFTBOOK_CAPTCHA": "always"})
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get("/soc/").get_data(as_text=True)).group(1)
    refused = client.post("/soc/post", data={"csrf_token": token, "body": "my words"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400 and ">my words</textarea>" in text
    challenge = re.search(r'name="captcha_challenge" value="([^"]+)"', text).group(1)
    secret = app.config["SECRET_KEY"]
    answer = captcha.answer_for(secret, captcha.read_challenge(secret, challenge).id)
    posted = client.post("/soc/post", data={
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', text).group(1),
        "body": "my words", "captcha_challenge": challenge, "captcha_answer": answer})
    assert posted.status_code == 303
    with app.app_context():
        assert Post.get().body == "my words"


def test_a_file_over_the_boards_limit_gets_a_page_stating_it(app, client, board_settings):
    board_settings("soc", max_file_bytes=2000)
    out = io.BytesIO()
    Image.effect_noise((200, 200), 90).convert("RGB").save(out, "PNG")
    assert len(out.getvalue()) > 2000
    response = client.post("/soc/post", data={"csrf_token": csrf(client), "body": "see this",
                                              "file": (io.BytesIO(out.getvalue()), "big.png")},
                           content_type="multipart/form-data")
    text = response.get_data(as_text=True)
    assert response.status_code == 413 and "larger than" in text
    assert ">see this</textarea>" in text and "attach it again" in text


def test_a_request_past_the_hard_cap_is_a_page_not_a_reset(app, client):
    huge = b"\0" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post("/soc/post", data={"csrf_token": csrf(client), "body": "x",
                                              "file": (io.BytesIO(huge), "video.bin")},
                           content_type="multipart/form-data")
    assert response.status_code == 413
    text = response.get_data(as_text=True)
    assert "at most" in text and "MiB each on /soc/" in text


def test_spoilers_stay_hidden_in_the_catalog_and_the_title(client, new_thread):
    op = new_thread("soc", body="**the ending** of the film")
    assert "the ending" not in page(client, "/soc/catalog.html")
    assert "the ending" not in re.search(r"<title>(.*?)</title>",
                                         page(client, f"/soc/res/{op}.html")).group(1)
