"""The 4chan-style read API: structure and types, omitted fields, 304s, a whole board read back."""

import base64
import dataclasses
import hashlib
import io
import re

import pytest
from PIL import Image

from leftbook.database.models import Post, Thread
from leftbook.retention.removal import bump_version, delete_post

INT, STR = int, str
POST_FIELDS = {
    "no": INT, "resto": INT, "now": STR, "time": INT, "name": STR, "trip": STR, "id": STR,
    "sub": STR, "com": STR, "tim": STR, "filename": STR, "ext": STR, "thumb_ext": STR,
    "fsize": INT, "md5": STR, "w": INT, "h": INT, "tn_w": INT, "tn_h": INT, "spoiler": INT,
    "kind": STR, "pages": INT, "duration": INT, "extra_files": list,
}
OP_FIELDS = {
    "sticky": INT, "closed": INT, "replies": INT, "images": INT, "bumplimit": INT,
    "last_modified": INT, "omitted_posts": INT, "omitted_images": INT,
}
FILE_FIELDS = {"tim", "filename", "ext", "thumb_ext", "fsize", "md5", "w", "h", "tn_w", "tn_h"}
BOARD_FIELDS = {
    "board": STR, "title": STR, "meta_description": STR, "pages": INT, "per_page": INT,
    "bump_limit": INT, "max_filesize": INT, "max_comment_chars": INT, "spoilers": INT,
    "user_ids": INT, "events": INT, "max_files": INT, "file_kinds": list,
}


def png(seed: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40 + seed, 30), (seed * 37 % 256, 90, 160)).save(buffer, "PNG")
    return buffer.getvalue()


def upload(seed: int, name: str = "upload.png") -> tuple:
    return (io.BytesIO(png(seed)), name)


def check_types(data: dict, allowed: dict) -> None:
    for key, value in data.items():
        assert key in allowed, f"unexpected field {key}"
        assert type(value) is allowed[key], f"{key} is {type(value).__name__}"


def check_post(post: dict, *, op: bool) -> None:
    check_types(post, {**POST_FIELDS, **OP_FIELDS} if op else POST_FIELDS)
    assert (post["resto"] == 0) is op
    assert re.fullmatch(r"\d\d/\d\d/\d\d\(\w{3}\)\d\d:\d\d:\d\d", post["now"])
    if "tim" in post:
        assert post.keys() >= FILE_FIELDS
        assert re.fullmatch(r"[0-9a-f]{64}", post["tim"])
        assert len(base64.b64decode(post["md5"])) == 16
    else:
        assert not FILE_FIELDS & post.keys() and "spoiler" not in post
    for flag in ("spoiler", "sticky", "closed"):
        assert post.get(flag, 1) == 1, "flags are present only when set"


def get_json(client, path: str, status: int = 200):
    response = client.get(path)
    assert response.status_code == status, (path, response.get_data(as_text=True))
    assert response.mimetype == "application/json"
    return response.get_json()


def test_boards_json_lists_every_board(app, client):
    boards = get_json(client, "/boards.json")["boards"]
    assert [b["board"] for b in boards] == list(app.config["BOARDS"])
    for entry in boards:
        check_types(entry, BOARD_FIELDS)
        assert {"board", "title", "pages", "per_page", "bump_limit", "max_filesize"} <= set(entry)
    soc = next(b for b in boards if b["board"] == "soc")
    assert soc["user_ids"] == 1 and soc["title"] == app.config["BOARDS"]["soc"].title
    orgs = next(b for b in boards if b["board"] == "orgs")
    assert "user_ids" not in orgs and "events" not in orgs
    assert next(b for b in boards if b["board"] == "events")["events"] == 1


def test_thread_json_fields_and_types(client, post, new_thread):
    op = new_thread("soc", body="opening >greentext", name="Anna#secret", subject="Hello",
                    file=upload(1), spoiler="y")
    with_file = post("soc", thread=op, body="", file=upload(2)).get_json()["no"]
    text_only = post("soc", thread=op, body=f">>{op} agreed").get_json()["no"]
    posts = get_json(client, f"/soc/res/{op}.json")["posts"]
    assert [p["no"] for p in posts] == [op, with_file, text_only]
    check_post(posts[0], op=True)
    for reply in posts[1:]:
        check_post(reply, op=False)
        assert reply["resto"] == op
    first, image_reply, text_reply = posts
    assert first["sub"] == "Hello" and first["name"] == "Anna"
    assert first["trip"].startswith("!") and len(first["trip"]) > 5
    assert first["spoiler"] == 1 and first["replies"] == 2 and first["images"] == 1
    assert first["bumplimit"] == 0 and isinstance(first["id"], str)
    assert first["com"] == Post.get(Post.no == op).html
    assert image_reply["ext"] == ".png" and "com" not in image_reply
    assert image_reply["filename"] == image_reply["tim"], "no original name unless kept"
    assert 'class="quotelink"' in text_reply["com"]
    for absent in ("sub", "trip", "tim", "spoiler", "replies", "sticky", "closed"):
        assert absent not in text_reply


def test_fields_without_value_are_left_out(client, new_thread):
    op = new_thread("orgs", body="a board without poster IDs")
    first = get_json(client, f"/orgs/res/{op}.json")["posts"][0]
    for absent in ("id", "trip", "sub", "tim", "spoiler", "sticky", "closed"):
        assert absent not in first
    assert first["name"] == "Anonymous" and first["images"] == 0


def test_sticky_closed_and_bumplimit_on_the_opening_post(app, client, post, new_thread,
                                                          board_settings):
    board_settings("soc", bump_limit=2)
    op = new_thread("soc")
    for n in range(2):
        post("soc", thread=op, body=f"reply {n}")
    Thread.update(sticky=True, locked=True).where(Thread.no == op).execute()
    bump_version("soc")
    first = get_json(client, f"/soc/res/{op}.json")["posts"][0]
    assert (first["sticky"], first["closed"], first["bumplimit"]) == (1, 1, 1)
    catalog_op = get_json(client, "/soc/catalog.json")[0]["threads"][0]
    assert catalog_op["sticky"] == 1 and catalog_op["closed"] == 1


def test_index_pages_count_from_zero_with_omitted_counts(app, client, post, new_thread,
                                                         frozen_clock, board_settings):
    board_settings("soc", threads_per_page=2)
    threads = []
    for t in range(5):
        frozen_clock(1000 + t)
        threads.append(new_thread("soc", body=f"thread {t}"))
    frozen_clock(2000)
    for n in range(7):
        post("soc", thread=threads[0], body=f"reply {n}", file=upload(n) if n < 3 else None)
    page0 = get_json(client, "/soc/0.json")
    first = page0["threads"][0]["posts"]
    assert first[0]["no"] == threads[0], "the bumped thread leads page 0"
    assert len(first) == 1 + app.config["BOARDS"]["soc"].preview_replies
    assert first[0]["omitted_posts"] == 2 and first[0]["omitted_images"] == 2
    for thread in page0["threads"]:
        check_post(thread["posts"][0], op=True)
        for reply in thread["posts"][1:]:
            check_post(reply, op=False)
    pages = [get_json(client, f"/soc/{n}.json") for n in (1, 2)]
    assert [t["posts"][0]["no"] for t in page0["threads"]] == [threads[0], threads[4]]
    assert [[t["posts"][0]["no"] for t in p["threads"]] for p in pages] == [
        [threads[3], threads[2]], [threads[1]]]
    assert "error" in get_json(client, "/soc/3.json", 404)


def test_catalog_and_threads_json(client, post, new_thread, frozen_clock):
    frozen_clock(5000)
    older = new_thread("soc", body="older", file=upload(3))
    frozen_clock(5100)
    newer = new_thread("soc", body="newer")
    frozen_clock(5200)
    post("soc", thread=older, body="bump", file=upload(4))
    catalog = get_json(client, "/soc/catalog.json")
    assert [p["page"] for p in catalog] == list(range(len(catalog)))
    ops = catalog[0]["threads"]
    assert [o["no"] for o in ops] == [older, newer]
    for op in ops:
        check_post(op, op=True)
    assert ops[0]["replies"] == 1 and ops[0]["images"] == 1 and ops[0]["last_modified"] == 5200
    assert ops[0]["omitted_posts"] == 1
    listing = get_json(client, "/soc/threads.json")
    assert listing[0]["page"] == 0
    assert listing[0]["threads"] == [
        {"no": older, "last_modified": 5200, "replies": 1},
        {"no": newer, "last_modified": 5100, "replies": 0},
    ]


def test_empty_board_and_missing_things(client, new_thread, post):
    assert get_json(client, "/meta/catalog.json") == [{"page": 0, "threads": []}]
    assert get_json(client, "/meta/threads.json") == [{"page": 0, "threads": []}]
    assert get_json(client, "/meta/0.json") == {"threads": []}
    op = new_thread("soc")
    reply = post("soc", thread=op).get_json()["no"]
    assert "error" in get_json(client, f"/soc/res/{reply}.json", 404)
    assert "error" in get_json(client, "/soc/res/999999.json", 404)
    assert "error" in get_json(client, "/nope/catalog.json", 404)


ENDPOINTS = ("/boards.json", "/soc/catalog.json", "/soc/threads.json", "/soc/0.json",
             "/soc/res/{op}.json")


@pytest.mark.parametrize("path", ENDPOINTS)
def test_conditional_requests_answer_304(client, post, new_thread, frozen_clock, path):
    frozen_clock(10_000)
    op = new_thread("soc")
    url = path.format(op=op)
    first = client.get(url)
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-cache"
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    by_etag = client.get(url, headers={"If-None-Match": etag})
    by_date = client.get(url, headers={"If-Modified-Since": modified})
    for answer in (by_etag, by_date):
        assert answer.status_code == 304 and answer.data == b""
        assert answer.headers["ETag"] == etag
    frozen_clock(10_060)
    post("soc", thread=op, body="news")
    stale = {"If-None-Match": etag, "If-Modified-Since": modified}
    if path == "/boards.json":
        assert client.get(url, headers=stale).status_code == 304
    else:
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 200
        assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 200


def test_a_deletion_invalidates_last_modified_too(client, new_thread, frozen_clock):
    frozen_clock(20_000)
    keep = new_thread("soc", body="stays")
    gone = new_thread("soc", body="goes")
    first = client.get("/soc/catalog.json")
    frozen_clock(20_030)
    delete_post(Post.get(Post.no == gone))
    again = client.get("/soc/catalog.json",
                       headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert again.status_code == 200
    assert [t["no"] for t in again.get_json()[0]["threads"]] == [keep]


def test_api_reveals_nothing_the_page_does_not(client, post, new_thread):
    op = new_thread("soc", body="plain words", password="hunter2-password",
                    file=upload(5, "holiday-at-home.png"))
    post("soc", thread=op, body="**hidden** text", password="another-password")
    raw = "".join(client.get(p).get_data(as_text=True) for p in (
        f"/soc/res/{op}.json", "/soc/0.json", "/soc/catalog.json"))
    stored = list(Post.select())
    thread = Thread.get(Thread.no == op)
    secrets = ["hunter2", "another-password", "holiday", "**hidden**", thread.salt.hex()]
    secrets += [p.password_hash for p in stored if p.password_hash]
    for secret in secrets:
        assert secret not in raw


def test_original_filename_only_when_the_operator_keeps_names(app, client, new_thread):
    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], keep_filenames=True)
    op = new_thread("soc", body="named", file=upload(6, "flyer-may-day.png"))
    first = get_json(client, f"/soc/res/{op}.json")["posts"][0]
    assert first["filename"] == "flyer-may-day" and first["ext"] == ".png"


def test_a_whole_board_read_through_the_api_alone(client, post, new_thread, frozen_clock):
    posted: dict[int, str] = {}
    files_posted = 0
    for t in range(4):
        frozen_clock(30_000 + t * 10)
        body = f"thread {t}"
        op = new_thread("theory", body=body, file=upload(10 + t) if t % 2 == 0 else None)
        posted[op] = body
        files_posted += t % 2 == 0
        for r in range(3):
            body = f"reply {r} in {t}"
            with_file = r == 1
            no = post("theory", thread=op, body=body,
                      file=upload(20 + 3 * t + r) if with_file else None).get_json()["no"]
            posted[no] = body
            files_posted += with_file

    seen: dict[int, str] = {}
    files_read = 0
    boards = get_json(client, "/boards.json")["boards"]
    slug = next(b["board"] for b in boards if b["board"] == "theory")
    for page in get_json(client, f"/{slug}/catalog.json"):
        for op in page["threads"]:
            for p in get_json(client, f"/{slug}/res/{op['no']}.json")["posts"]:
                seen[p["no"]] = re.sub(r"<[^>]+>", "", p.get("com", ""))
                if "tim" not in p:
                    continue
                source = client.get(f"/{slug}/src/{p['tim']}{p['ext']}")
                thumb = client.get(f"/{slug}/thumb/{p['tim']}{p['thumb_ext']}")
                assert source.status_code == 200 and thumb.status_code == 200
                assert len(source.data) == p["fsize"]
                assert base64.b64encode(hashlib.md5(source.data).digest()).decode() == p["md5"]
                assert Image.open(io.BytesIO(thumb.data)).size == (p["tn_w"], p["tn_h"])
                files_read += 1
    assert seen == posted
    assert files_read == files_posted == 6


def test_name_and_subject_are_html_escaped_as_4chan_sends_them(client, new_thread):
    op = new_thread("soc", body="x", name="<b>me</b> & co", subject='"<i>sub</i>"')
    first = get_json(client, f"/soc/res/{op}.json")["posts"][0]
    assert first["name"] == "&lt;b&gt;me&lt;/b&gt; &amp; co"
    assert first["sub"] == "&quot;&lt;i&gt;sub&lt;/i&gt;&quot;"
    catalog = get_json(client, "/soc/catalog.json")[0]["threads"][0]
    assert catalog["name"] == first["name"] and catalog["sub"] == first["sub"]
