"""Atom feeds: valid Atom 1.0 with the required elements, escaped, only the site's own URLs."""

import io
import re
import xml.etree.ElementTree as ET

from PIL import Image

from leftbook.database.models import Post

A = "{http://www.w3.org/2005/Atom}"
ATOM_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
URL_ATTRIBUTE = re.compile(r'(?:href|src)="([^"]*)"')


def png(seed: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (50 + seed, 40), (seed * 41 % 256, 120, 60)).save(buffer, "PNG")
    return buffer.getvalue()


def fetch_feed(client, path: str, base_url: str = "http://localhost") -> ET.Element:
    response = client.get(path, base_url=base_url)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)  # noqa: S314 (the app's own output)
    check_atom(feed, base_url + path)
    return feed


def check_atom(feed: ET.Element, self_url: str) -> None:
    """The elements RFC 4287 requires of a feed and of each entry."""
    assert feed.tag == A + "feed"
    for tag in ("id", "title", "updated"):
        assert len(feed.findall(A + tag)) == 1, tag
    assert ATOM_TIME.fullmatch(feed.findtext(A + "updated"))
    links = {link.get("rel"): link.get("href") for link in feed.findall(A + "link")}
    assert links["self"] == self_url
    assert feed.find(f"{A}author/{A}name") is not None
    for entry in feed.findall(A + "entry"):
        for tag in ("id", "title", "updated"):
            assert entry.findtext(A + tag), tag
        assert ATOM_TIME.fullmatch(entry.findtext(A + "updated"))
        assert entry.find(A + "link").get("href").startswith(self_url.split("/")[0])
        assert entry.find(A + "content").get("type") == "html"
        assert entry.find(f"{A}author/{A}name").text


def every_url(feed: ET.Element) -> list[str]:
    urls = [link.get("href") for link in feed.iter(A + "link")]
    urls += [e.text for e in feed.iter(A + "id")]
    for content in feed.iter(A + "content"):
        urls += URL_ATTRIBUTE.findall(content.text)
    return urls


def test_board_feed_lists_new_threads_newest_first(client, post, new_thread, frozen_clock):
    threads = []
    for t in range(3):
        frozen_clock(40_000 + t)
        threads.append(new_thread("soc", body=f"thread number {t}", subject=f"Subject {t}"))
    frozen_clock(40_100)
    post("soc", thread=threads[0], body="a reply is not a new thread")
    feed = fetch_feed(client, "/soc/index.atom")
    entries = feed.findall(A + "entry")
    assert [e.findtext(A + "title") for e in entries] == ["Subject 2", "Subject 1", "Subject 0"]
    assert entries[0].findtext(A + "id") == f"http://localhost/soc/res/{threads[2]}.html#p{threads[2]}"
    assert "thread number 2" in entries[0].findtext(A + "content")
    assert "a reply is not" not in ET.tostring(feed, encoding="unicode")
    assert feed.findtext(A + "updated") == "1970-01-01T11:06:42Z"


def test_thread_feed_has_every_post(client, post, new_thread, frozen_clock):
    frozen_clock(50_000)
    op = new_thread("soc", body="the opening post")
    replies = []
    for n in range(3):
        frozen_clock(50_010 + n)
        replies.append(post("soc", thread=op, body=f"reply {n}").get_json()["no"])
    feed = fetch_feed(client, f"/soc/res/{op}.atom")
    ids = [e.findtext(A + "id") for e in feed.findall(A + "entry")]
    assert ids == [f"http://localhost/soc/res/{op}.html#p{no}" for no in [*replies[::-1], op]]
    assert feed.findtext(A + "title") == "/soc/ - the opening post"
    assert feed.findtext(A + "updated") == "1970-01-01T13:53:32Z"


def test_feed_text_is_escaped(client, post, new_thread):
    op = new_thread("soc", body='<script>alert("x")</script> & friends', subject="<b>&</b>")
    post("soc", thread=op, body="]]> <!-- -->")
    feed = fetch_feed(client, f"/soc/res/{op}.atom")
    first = feed.findall(A + "entry")[-1]
    assert first.findtext(A + "title") == "<b>&</b>"
    content = first.findtext(A + "content")
    assert "&lt;script&gt;" in content and "<script" not in content
    assert "]]&gt;" in feed.findall(A + "entry")[0].findtext(A + "content")


def test_feeds_point_only_to_the_site_itself(app, client, post, new_thread):
    onion = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz2345.onion"
    app.config["ONION_HOST"] = onion
    op = new_thread("soc", body="see https://example.org/page and more",
                    file=(io.BytesIO(png(1)), "a.png"))
    post("soc", thread=op, body=f">>{op} yes", file=(io.BytesIO(png(2)), "b.png"), spoiler="y")
    for path in ("/soc/index.atom", f"/soc/res/{op}.atom"):
        feed = fetch_feed(client, path, base_url=f"http://{onion}")
        urls = every_url(feed)
        assert urls and all(u.startswith(f"http://{onion}/soc/") for u in urls), urls
        assert "https://example.org/page" in ET.tostring(feed, encoding="unicode")
    thread_feed = fetch_feed(client, f"/soc/res/{op}.atom", base_url=f"http://{onion}")
    reply, first = (e.findtext(A + "content") for e in thread_feed.findall(A + "entry"))
    assert "/thumb/" in first and "/src/" in first
    assert "/thumb/" not in reply and "spoiler" in reply, "a spoilered image shows no thumbnail"
    assert f'href="http://{onion}/soc/res/{op}.html#p{op}"' in reply


def test_feeds_answer_304_and_change_with_the_board(client, post, new_thread, frozen_clock):
    frozen_clock(60_000)
    op = new_thread("soc")
    for path in ("/soc/index.atom", f"/soc/res/{op}.atom"):
        first = client.get(path)
        assert first.headers["Cache-Control"] == "no-cache"
        for validator, header in (("If-None-Match", "ETag"),
                                  ("If-Modified-Since", "Last-Modified")):
            again = client.get(path, headers={validator: first.headers[header]})
            assert again.status_code == 304 and again.data == b""
    etag = client.get(f"/soc/res/{op}.atom").headers["ETag"]
    frozen_clock(60_100)
    post("soc", thread=op, body="new")
    assert client.get(f"/soc/res/{op}.atom", headers={"If-None-Match": etag}).status_code == 200


def test_empty_board_feed_and_missing_thread(client, new_thread):
    feed = fetch_feed(client, "/meta/index.atom")
    assert feed.findall(A + "entry") == []
    op = new_thread("soc")
    assert client.get("/soc/res/99999.atom").status_code == 404
    assert client.get("/nope/index.atom").status_code == 404
    assert client.get(f"/soc/res/{op}.atom").status_code == 200


def test_spoilered_text_stays_hidden_in_feeds(client, new_thread):
    op = new_thread("soc", body="visible **hidden >>1 words** end\n**>green secret**")
    raw = client.get(f"/soc/res/{op}.atom").get_data(as_text=True)
    assert "hidden" not in raw and "green secret" not in raw
    entry = ET.fromstring(raw.encode()).find(A + "entry")  # noqa: S314 (the app's own output)
    assert entry.findtext(A + "title") == "visible [spoiler] end [spoiler]"
    assert "end" in entry.findtext(A + "content")


def test_characters_xml_forbids_never_break_a_feed(app, client, post, new_thread):
    op = new_thread("soc", body="bad \ufffe\uffff chars \ufdd0", subject="x\uffffy",
                    name="N\ufffe")
    post("soc", thread=op, body="reply \ufffe")
    with app.app_context():  # as a post stored before text cleaning dropped them would be
        Post.update(body="old \uffff", html="old \uffff").where(Post.no == op).execute()
    for path in (f"/soc/res/{op}.atom", "/soc/index.atom"):
        feed = fetch_feed(client, path)  # parses as XML
        assert "\ufffe" not in ET.tostring(feed, encoding="unicode")
    title = fetch_feed(client, f"/soc/res/{op}.atom").findall(A + "entry")[-1].findtext(
        A + "title")
    assert title == "xy"
