"""Identity without accounts, through the site: tripcodes, per-thread IDs, deleting own posts."""

import io
import re

from leftbook.database import database, is_sqlite
from leftbook.database.models import MODELS, Post, Thread
from leftbook.posting.tripcode import classic_tripcode
from tests.images import photo


def html(client, path: str) -> str:
    return client.get(path).get_data(as_text=True)


def ids_on_page(page: str) -> list[str]:
    return re.findall(r"ID: ([A-Za-z0-9_-]{8})", page)


def test_tripcodes_are_shown_and_the_password_is_not_stored(app, client, post):
    no = post("soc", body="hi", name="Rosa#faust").get_json()["no"]
    secure = post("soc", body="hi", name="Karl##capital").get_json()["no"]
    page = html(client, f"/soc/res/{no}.html")
    assert f"!{classic_tripcode('faust')}" in page and "Rosa" in page
    with app.app_context():
        assert Post.get(Post.no == no).trip == "!" + classic_tripcode("faust")
        assert Post.get(Post.no == secure).trip.startswith("!!")
        assert Post.get(Post.no == secure).name == "Karl"
    assert "faust" not in page and "capital" not in html(client, f"/soc/res/{secure}.html")


def test_empty_name_shows_the_board_default(app, post):
    no = post("theory", body="x", name="").get_json()["no"]
    with app.app_context():
        assert Post.get(Post.board == "theory", Post.no == no).name == "Anonymous"


def second_browser(app):
    other = app.test_client()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html(other, "/soc/")).group(1)

    def submit(**fields):
        return other.post("/soc/post", data={"csrf_token": csrf, **fields},
                          headers={"Accept": "application/json"}).get_json()

    return other, submit


def test_ids_are_stable_per_thread_and_browser(app, client, post):
    first = post("soc", body="a").get_json()["no"]
    post("soc", thread=first, body="b")
    second = post("soc", body="c").get_json()["no"]
    _, other = second_browser(app)
    other(thread=first, body="d")
    in_first = ids_on_page(html(client, f"/soc/res/{first}.html"))
    in_second = ids_on_page(html(client, f"/soc/res/{second}.html"))
    assert in_first[0] == in_first[1], "one browser keeps its ID within a thread"
    assert in_first[2] != in_first[0], "another browser gets another ID"
    assert in_second[0] != in_first[0], "the same browser gets another ID in another thread"
    assert "ID: " + in_first[0] + " (2)" in html(client, f"/soc/res/{first}.html")


def test_boards_without_ids_show_none(client, post):
    no = post("orgs", body="x").get_json()["no"]
    assert ids_on_page(html(client, f"/orgs/res/{no}.html")) == []


def test_cleared_cookie_gets_a_new_id(client, post):
    op = post("soc", body="a").get_json()["no"]
    post("soc", thread=op, body="b")
    client.delete_cookie("poster")
    post("soc", thread=op, body="c")
    ids = ids_on_page(html(client, f"/soc/res/{op}.html"))
    assert ids[0] == ids[1] != ids[2]


def test_database_holds_no_token_and_no_password(app, client, post):
    op = post("soc", body="a", name="N#tripsecret", password="delete-me-42").get_json()["no"]
    post("soc", thread=op, body="b", file=(io.BytesIO(_png()), "my real name.png"))
    token = client.get_cookie("poster").value
    secrets = [token, "tripsecret", "delete-me-42", "my real name"]
    with app.app_context():
        for model in MODELS:
            for row in model.select().dicts():
                dump = repr(row)
                assert not any(s in dump for s in secrets), (model.__name__, row)
        if is_sqlite():
            database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    for path in app.config["SETTINGS"].data_dir.rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            assert not any(s.encode() in raw for s in secrets), path


def _png() -> bytes:
    out = io.BytesIO()
    photo(80, 60).save(out, "PNG")
    return out.getvalue()


def delete(client, board: str, numbers: list[int], password: str, file_only: bool = False):
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html(client, f"/{board}/")).group(1)
    data = {"csrf_token": csrf, "post": numbers, "password": password}
    if file_only:
        data["file_only"] = "y"
    return client.post(f"/{board}/delete", data=data, headers={"Accept": "application/json"})


def test_no_page_carries_the_password_and_an_empty_field_uses_the_cookie(app, client, post):
    op = post("soc", body="a", password="hunter22").get_json()["no"]
    for path in (f"/soc/res/{op}.html", "/soc/", "/soc/catalog.html"):
        assert "hunter22" not in html(client, path)
    assert delete(client, "soc", [op], "").status_code == 200
    with app.app_context():
        assert Post.select().count() == 0


def test_delete_own_post_inside_the_window(app, client, post, frozen_clock):
    frozen_clock(1_800_000_000)
    op = post("soc", body="a", password="pw-one").get_json()["no"]
    reply = post("soc", thread=op, body="b", password="pw-one").get_json()["no"]
    wrong = delete(client, "soc", [reply], "not-it")
    assert wrong.status_code == 403 and "Wrong password" in wrong.get_json()["error"]
    frozen_clock(1_800_000_000 + 3600)
    assert delete(client, "soc", [reply], "pw-one").status_code == 200
    with app.app_context():
        assert not Post.select().where(Post.no == reply).exists()
        assert Thread.get(Thread.no == op).replies == 0


def test_delete_after_the_window_is_refused(app, client, post, frozen_clock):
    frozen_clock(1_800_000_000)
    op = post("soc", body="a", password="pw-two").get_json()["no"]
    frozen_clock(1_800_000_000 + 86400 + 1)
    response = delete(client, "soc", [op], "pw-two")
    assert response.status_code == 403 and "window has passed" in response.get_json()["error"]
    with app.app_context():
        assert Post.select().where(Post.no == op).exists()


def test_delete_only_the_file(app, client, post):
    op = post("soc", body="a", password="pw3", file=(io.BytesIO(_png()), "x.png")).get_json()["no"]
    assert delete(client, "soc", [op], "pw3", file_only=True).status_code == 200
    with app.app_context():
        assert Post.get(Post.no == op).file_id is None
    assert list(app.config["STORE"].root.rglob("*.*")) == []


def test_deleting_the_opening_post_deletes_the_thread(app, client, post):
    op = post("soc", body="a", password="pw4").get_json()["no"]
    post("soc", thread=op, body="someone else's reply", password="other")
    assert delete(client, "soc", [op], "pw4").status_code == 200
    with app.app_context():
        assert Post.select().count() == 0 and Thread.select().count() == 0
    assert client.get(f"/soc/res/{op}.html").status_code == 404


def test_generated_password_lets_a_poster_delete_without_typing_one(app, client, post):
    op = post("soc", body="a").get_json()["no"]
    cookie = client.get_cookie("password").value
    assert len(cookie) >= 20
    assert delete(client, "soc", [op], "").status_code == 200


def test_a_site_made_password_gets_a_fast_hash_a_chosen_one_scrypt(app, client, post):
    """A password the site made is 128 random bits (a seized database does not make it
    guessable, however fast its hash); one the poster typed may be weak: scrypt."""
    made = post("soc", body="no password typed").get_json()["no"]
    cookie = client.get_cookie("password").value
    again = post("soc", body="the cookie again").get_json()["no"]
    chosen = post("soc", body="typed", password="hunter22").get_json()["no"]
    client.set_cookie("password", "s1." + cookie[3:-1] + ("A" if cookie[-1] != "A" else "B"))
    forged = post("soc", body="a forged site password").get_json()["no"]
    with app.app_context():
        stored = {p.no: p.password_hash for p in Post.select()}
    assert stored[made].startswith("sha256$") and stored[again].startswith("sha256$")
    assert stored[chosen].startswith("scrypt$") and stored[forged].startswith("scrypt$")
    client.set_cookie("password", cookie)
    assert delete(client, "soc", [made, again], "").status_code == 200
    assert delete(client, "soc", [chosen], "hunter22").status_code == 200
