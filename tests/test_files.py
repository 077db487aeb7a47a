"""Uploads through the site: stored stripped, served safely, refused cleanly, never orphaned."""

import io
import re
from pathlib import Path

import pytest
from PIL import Image

from leftbook.database.models import File, Post
from leftbook.posting import posts
from tests.images import SECRET, jpeg_with_metadata, photo


def upload(data: bytes, name: str = "holiday.jpg"):
    return (io.BytesIO(data), name)


def stored_files(app) -> list[Path]:
    return sorted(p for p in app.config["STORE"].root.rglob("*") if p.is_file())


def test_uploaded_photo_is_served_stripped_with_safe_headers(app, client, post):
    no = post("soc", body="flyer", file=upload(jpeg_with_metadata())).get_json()["no"]
    with app.app_context():
        file = File.get()
    page = client.get(f"/soc/res/{no}.html").get_data(as_text=True)
    assert f"/soc/src/{file.tim}.jpg" in page and f"{file.w}&times;{file.h}" in page
    assert "holiday" not in page
    source = client.get(f"/soc/src/{file.tim}.jpg")
    assert source.status_code == 200 and source.mimetype == "image/jpeg"
    assert source.headers["X-Content-Type-Options"] == "nosniff"
    assert "immutable" in source.headers["Cache-Control"]
    assert source.headers["Content-Disposition"] == f'inline; filename="{file.tim}.jpg"'
    assert SECRET.encode() not in source.data and b"Exif" not in source.data
    assert not Image.open(io.BytesIO(source.data)).getexif()
    thumb = client.get(f"/soc/thumb/{file.tim}{file.thumb_ext}")
    assert thumb.status_code == 200 and thumb.mimetype.startswith("image/")


@pytest.mark.parametrize("path", [
    "/soc/src/" + "0" * 64 + ".jpg",
    "/soc/src/..%2f..%2fsecret_key",
    "/soc/src/../secret_key",
    "/soc/thumb/" + "a" * 64 + ".php",
    "/nope/src/" + "0" * 64 + ".jpg",
])
def test_missing_or_malicious_file_names_are_404(app, client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert app.config["SECRET_KEY"] not in response.data


def test_spoiler_hides_the_thumbnail(app, client, post):
    png = io.BytesIO()
    photo(90, 60).save(png, "PNG")
    no = post("soc", body="x", spoiler="y", file=upload(png.getvalue(), "a.png")).get_json()["no"]
    page = client.get(f"/soc/res/{no}.html").get_data(as_text=True)
    assert "/static/spoiler.png" in page and "/soc/thumb/" not in page
    assert client.get("/static/spoiler.png").status_code == 200


@pytest.mark.parametrize("data, status", [
    (b"just some text, not a picture", 415),
    (b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", 415),
    (jpeg_with_metadata()[:2000], 400),
])
def test_bad_files_are_refused_and_nothing_is_stored(app, post, data, status):
    response = post("soc", body="x", file=upload(data, "innocent.jpg"))
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]
    with app.app_context():
        assert Post.select().count() == 0 and File.select().count() == 0
    assert stored_files(app) == []


def test_board_that_requires_a_file_for_threads(app, post, board_settings):
    board_settings("soc", thread_file="required")
    response = post("soc", body="no picture")
    assert response.status_code == 400 and "needs a file" in response.get_json()["error"]


def test_same_picture_twice_is_stored_once(app, post):
    data = jpeg_with_metadata()
    op = post("soc", body="a", file=upload(data)).get_json()["no"]
    post("soc", thread=op, body="b", file=upload(data))
    assert len(stored_files(app)) == 2  # one file, one thumbnail
    with app.app_context():
        assert File.select().count() == 1


def test_crash_between_storing_the_file_and_committing_leaves_no_orphan(app, client, post,
                                                                        monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(posts, "_record", crash)
    response = post("soc", body="x", file=upload(jpeg_with_metadata()))
    assert response.status_code == 500
    with app.app_context():
        assert Post.select().count() == 0 and File.select().count() == 0
    assert stored_files(app) == []


def test_last_reference_deleted_removes_the_files(app, client, post):
    data = jpeg_with_metadata()
    op = post("soc", body="a", password="pw", file=upload(data)).get_json()["no"]
    reply = post("soc", thread=op, body="b", password="pw", file=upload(data)).get_json()["no"]
    csrf = re.search(r'name="csrf_token" value="([^"]+)"',
                     client.get("/soc/").get_data(as_text=True)).group(1)

    def delete(no):
        return client.post("/soc/delete", data={"csrf_token": csrf, "post": [no],
                                                "password": "pw"})

    assert delete(reply).status_code == 303
    assert len(stored_files(app)) == 2, "the opening post still refers to the file"
    assert delete(op).status_code == 303
    assert stored_files(app) == []


def test_kept_file_names_show_on_the_page_as_in_the_api(settings):
    from leftbook import create_app

    app = create_app({**settings, "LEFTBOOK_KEEP_FILENAMES": "on"})
    client = app.test_client()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"',
                     client.get("/soc/").get_data(as_text=True)).group(1)
    no = client.post("/soc/post", data={"csrf_token": csrf, "body": "x",
                                        "file": upload(jpeg_with_metadata(), "flyer.jpg")},
                     headers={"Accept": "application/json"}).get_json()["no"]
    assert "flyer.jpg" in client.get(f"/soc/res/{no}.html").get_data(as_text=True)
    assert client.get(f"/soc/res/{no}.json").get_json()["posts"][0]["filename"] == "flyer"


def test_a_file_is_validated_by_its_content_only(app, client, post, frozen_clock):
    frozen_clock(1_800_000_000)
    post("soc", body="first", file=upload(jpeg_with_metadata()))
    with app.app_context():
        tim = File.get().tim
    served = client.get(f"/soc/src/{tim}.jpg")
    assert served.headers["ETag"] == f'"{tim}.jpg"'
    assert "Last-Modified" not in served.headers  # would tell when it was first stored
    again = client.get(f"/soc/src/{tim}.jpg", headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304
