"""Several files of several kinds in one post, through the site: the page shows each with
its kind (documents with Tor's warning), the API gives the first in 4chan's fields and the
others in `extra_files`, serving gives each its type, and every path that deletes a post or a
file (poster, janitor, ban, prune) handles all of them."""

import io
import re
from pathlib import Path

import pytest

from leftbook.database.models import File, FileBan, Post, PostFile
from leftbook.retention import files as retention_files
from tests.documents import BODY_TEXT, hostile_pdf, leaks, simple_pdf
from tests.epubs import hostile_epub
from tests.images import jpeg_with_metadata, photo

WARNING = "Open documents in Tor Browser"


def png(seed: int) -> bytes:
    out = io.BytesIO()
    photo(80 + seed, 60, seed=seed).save(out, "PNG")
    return out.getvalue()


def files(*items: tuple[bytes, str]) -> list:
    return [(io.BytesIO(data), name) for data, name in items]


def stored(app) -> list[Path]:
    return sorted(p for p in app.config["STORE"].root.rglob("*") if p.is_file())


@pytest.fixture
def theory_post(post):
    """A thread on /theory/ with a PDF, an EPUB and a picture in its opening post."""
    def make(**fields):
        response = post("theory", body="reading", password="pw", file=files(
            (hostile_pdf(), "Jane's notes.pdf"), (hostile_epub(), "book.epub"),
            (png(1), "p.png")), **fields)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["no"]
    return make


def test_a_post_with_a_pdf_an_epub_and_a_picture(app, client, theory_post):
    no = theory_post()
    page = client.get(f"/theory/res/{no}.html").get_data(as_text=True)
    with app.app_context():
        post = Post.get(Post.no == no)
        first, *extra = post.files
        assert [f.kind for f in [first, *extra]] == ["pdf", "epub", "image"]
        assert [row.position for row in PostFile.select().order_by(PostFile.position)] == [1, 2]
    assert page.count(WARNING) == 2, "beside each document"
    assert "PDF, 2 pages" in page and "EPUB, 3 sections" in page
    assert page.count('class="thumb"') == 3 and "Jane" not in page
    assert f'name="file" value="{no}:{first.tim}"' in page, "single files can be ticked"
    api = client.get(f"/theory/res/{no}.json").get_json()["posts"][0]
    assert (api["tim"], api["ext"], api["kind"], api["pages"]) == (first.tim, ".pdf", "pdf", 2)
    assert [(f["ext"], f.get("kind")) for f in api["extra_files"]] == [
        (".epub", "epub"), (".png", None)]
    assert set(api["extra_files"][0]) >= {"tim", "ext", "thumb_ext", "fsize", "md5", "w", "h",
                                          "tn_w", "tn_h"}
    for f in [api, *api["extra_files"]]:
        served = client.get(f"/theory/src/{f['tim']}{f['ext']}")
        assert served.status_code == 200 and leaks(served.data) == []
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        thumb = client.get(f"/theory/thumb/{f['tim']}{f['thumb_ext']}")
        assert thumb.mimetype in ("image/jpeg", "image/png") and leaks(thumb.data) == []
    pdf = client.get(f"/theory/src/{api['tim']}.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.headers["Content-Disposition"].startswith(
        "inline")
    epub = client.get(f"/theory/src/{api['extra_files'][0]['tim']}.epub")
    assert epub.mimetype == "application/epub+zip"
    assert epub.headers["Content-Disposition"].startswith("attachment")


def test_kinds_and_counts_are_the_boards(app, post, board_settings):
    refused = post("soc", body="x", file=files((simple_pdf(), "a.pdf")))
    assert refused.status_code == 415
    assert "does not take PDF documents" in refused.get_json()["error"]
    board_settings("theory", max_files=2)
    too_many = post("theory", body="x", file=files((png(1), "a.png"), (png(2), "b.png"),
                                                   (png(3), "c.png")))
    assert too_many.status_code == 400 and "at most 2 files" in too_many.get_json()["error"]
    bad_second = post("theory", body="x", file=files((png(1), "a.png"), (b"%PDF-1.4 junk", "b")))
    assert bad_second.status_code == 400 and bad_second.get_json()["error"].startswith("File 2")
    board_settings("theory", max_post_bytes=len(png(1)) + 10)
    heavy = post("theory", body="x", file=files((png(1), "a.png"), (png(2), "b.png")))
    assert heavy.status_code == 413
    with app.app_context():
        assert Post.select().count() == 0 and File.select().count() == 0
    assert stored(app) == []


def test_the_same_file_twice_in_a_post_is_kept_once(app, post):
    no = post("theory", body="x", file=files((png(1), "a.png"), (png(1), "b.png"))).get_json()
    with app.app_context():
        assert len(Post.get(Post.no == no["no"]).files) == 1


def csrf(client, board: str = "theory") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"',
                     client.get(f"/{board}/").get_data(as_text=True)).group(1)


def test_a_poster_deletes_one_file_of_a_post(app, client, theory_post):
    no = theory_post()
    with app.app_context():
        first, epub, picture = Post.get(Post.no == no).files
    response = client.post("/theory/delete", data={
        "csrf_token": csrf(client), "file": [f"{no}:{first.tim}"], "password": "pw"})
    assert response.status_code == 303
    with app.app_context():
        post = Post.get(Post.no == no)
        assert [f.tim for f in post.files] == [epub.tim, picture.tim], "the next moves up"
        assert post.file_deleted and File.get_or_none(File.tim == first.tim) is None
    assert not any(p.name.startswith(first.tim) for p in stored(app))
    page = client.get(f"/theory/res/{no}.html").get_data(as_text=True)
    assert "A file was deleted." in page
    client.post("/theory/delete", data={"csrf_token": csrf(client), "post": [str(no)],
                                        "password": "pw", "file_only": "y"})
    with app.app_context():
        assert Post.get(Post.no == no).files == [] and File.select().count() == 0
        assert PostFile.select().count() == 0
    assert stored(app) == []


def grant(runner) -> str:
    out = runner.invoke(args=["janitor", "grant", "--all"]).output
    return re.search(r"/janitor/(\S+)", out).group(1)


def test_a_janitor_bans_one_file_everywhere(app, client, runner, theory_post, post):
    no = theory_post()
    with app.app_context():
        pdf, epub, picture = Post.get(Post.no == no).files
    other = post("theory", body="again", file=files((png(1), "same.png"))).get_json()["no"]
    client.get(f"/janitor/{grant(runner)}")
    response = client.post("/janitor/action/theory", data={
        "csrf_token": csrf(client), "do": f"ban-file:{no}:{picture.tim}"})
    assert response.status_code == 303
    with app.app_context():
        assert [f.tim for f in Post.get(Post.no == no).files] == [pdf.tim, epub.tim]
        assert Post.get(Post.no == other).files == [], "the same picture elsewhere too"
        assert FileBan.select().count() == 1
    again = post("theory", body="x", file=files((png(1), "again.png")))
    assert again.status_code == 403
    response = client.post("/janitor/action/theory", data={
        "csrf_token": csrf(client), "do": f"delete-file:{no}:{epub.tim}"})
    assert response.status_code == 303
    with app.app_context():
        assert [f.tim for f in Post.get(Post.no == no).files] == [pdf.tim]


def test_deleting_or_pruning_a_thread_takes_every_file(app, client, theory_post, post):
    no = theory_post()
    post("theory", thread=no, body="reply", file=files((simple_pdf(), "a.pdf"),
                                                      (png(5), "b.png")))
    assert len(stored(app)) == 10
    client.post("/theory/delete", data={"csrf_token": csrf(client), "post": [str(no)],
                                        "password": "pw"})
    with app.app_context():
        assert File.select().count() == 0 and PostFile.select().count() == 0
        assert retention_files.count_unreferenced() == 0
    assert stored(app) == []


def test_a_further_file_keeps_its_file_from_the_orphan_sweep(app, theory_post):
    theory_post()
    with app.app_context():
        assert retention_files.count_unreferenced() == 0
        assert retention_files.count_orphans(app.config["STORE"], grace=-1) == 0


def test_the_form_takes_several_files_and_says_what(client):
    page = client.get("/theory/").get_data(as_text=True)
    assert re.search(r'<input type="file" name="file" multiple accept="[^"]*application/pdf',
                     page)
    assert "up to 4" in page and "EPUB" in page and "PDF" in page
    assert "application/pdf" not in client.get("/soc/").get_data(as_text=True)


def test_an_old_style_single_file_post_still_works(app, post):
    response = post("theory", body=BODY_TEXT, file=(io.BytesIO(jpeg_with_metadata()), "a.jpg"))
    assert response.status_code == 200
