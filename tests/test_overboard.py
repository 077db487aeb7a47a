"""The overboard (newest threads of every board taking part, each named with its board; a
board opts out in its file) and catalog sorting and filtering by links and a GET form."""

from leftbook.boards import load_boards
from tests.test_boards import MINIMAL, write_board

T0 = 1_800_000_000


def thread_order(page: str) -> list[str]:
    """`board/no` of each thread on an overboard or catalog page, in order."""
    import re

    return [f"{b}/{n}" for b, n in re.findall(r'href="/(\w+)/res/(\d+)\.html"[^#]', page)]


def test_overboard_shows_the_newest_bumped_threads_of_every_board(client, post, new_thread,
                                                                   frozen_clock):
    frozen_clock(T0)
    soc = new_thread("soc", body="soc thread")
    frozen_clock(T0 + 10)
    theory = new_thread("theory", body="theory thread")
    frozen_clock(T0 + 20)
    orgs = new_thread("orgs", body="orgs thread")
    frozen_clock(T0 + 30)
    post("soc", thread=soc, body="bumping the soc thread")

    page = client.get("/overboard/").get_data(as_text=True)
    assert '<a href="/soc/">/soc/</a>' in page and '<a href="/theory/">/theory/</a>' in page
    assert "bumping the soc thread" in page  # the last replies are shown
    catalog = client.get("/overboard/catalog.html").get_data(as_text=True)
    assert thread_order(catalog) == [f"soc/{soc}", f"orgs/{orgs}", f"theory/{theory}"]
    assert '<span class="cellboard">/orgs/</span>' in catalog
    data = client.get("/overboard/catalog.json").get_json()
    assert [(t["board"], t["no"], t["replies"]) for t in data[0]["threads"]] == [
        ("soc", soc, 1), ("orgs", orgs, 0), ("theory", theory, 0)]


def test_a_board_can_opt_out_of_the_overboard(client, new_thread, board_settings, tmp_path):
    new_thread("soc", body="on the overboard")
    new_thread("meta", body="only on its own board")
    board_settings("meta", overboard=False)
    page = client.get("/overboard/").get_data(as_text=True)
    assert "on the overboard" in page and "only on its own board" not in page
    assert "only on its own board" not in client.get("/overboard/catalog.html").get_data(
        as_text=True)
    assert {t["board"] for t in client.get("/overboard/catalog.json").get_json()[0]["threads"]} \
        == {"soc"}
    assert "only on its own board" in client.get("/meta/").get_data(as_text=True)

    write_board(tmp_path / "b", "a.toml", MINIMAL.format(slug="a") + "overboard = false\n")
    assert load_boards(tmp_path / "b")["a"].overboard is False


def test_overboard_pages_and_revalidation(client, new_thread, frozen_clock):
    frozen_clock(T0)
    for n in range(16):
        new_thread("soc", body=f"thread {n}")
    assert client.get("/overboard/2.html").status_code == 200
    assert client.get("/overboard/3.html").status_code == 404
    first = client.get("/overboard/")
    again = client.get("/overboard/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    new_thread("theory", body="news")
    assert client.get("/overboard/", headers={"If-None-Match": first.headers["ETag"]}
                      ).status_code == 200


def test_catalog_sorts_by_bump_creation_replies_and_files(client, post, new_thread,
                                                         frozen_clock):
    from tests.test_retention import with_file

    frozen_clock(T0)
    busy = new_thread("soc", body="many replies")
    frozen_clock(T0 + 10)
    pictures = new_thread("soc", body="many files", **with_file(1))
    frozen_clock(T0 + 20)
    newest = new_thread("soc", body="newest thread")
    frozen_clock(T0 + 30)
    for n in range(3):
        post("soc", thread=busy, body=f"reply {n}")
    post("soc", thread=pictures, body="another picture", **with_file(2))
    frozen_clock(T0 + 40)
    post("soc", thread=newest, body="sage", options="sage")

    def order(query: str = "") -> list[int]:
        page = client.get(f"/soc/catalog.html{query}").get_data(as_text=True)
        return [int(t.split("/")[1]) for t in thread_order(page)]

    assert order() == [pictures, busy, newest]  # last bump (a sage reply does not bump)
    assert order("?sort=created") == [newest, pictures, busy]
    assert order("?sort=replies") == [busy, pictures, newest]
    assert order("?sort=files") == [pictures, busy, newest]
    page = client.get("/soc/catalog.html?sort=replies").get_data(as_text=True)
    assert "<strong>replies</strong>" in page and 'href="/soc/catalog.html?sort=files"' in page
    assert '<input type="hidden" name="sort" value="replies">' in page  # the filter form keeps it
    assert client.get("/soc/catalog.html?sort=nonsense").status_code == 400


def test_catalog_filters_by_words_in_subject_or_text(client, new_thread):
    rent = new_thread("soc", body="Tenants organising", subject="Rent strike")
    bread = new_thread("soc", body="Bread and roses, a rent history")
    new_thread("soc", body="Nothing to see")

    def shown(query: str) -> set[int]:
        page = client.get("/soc/catalog.html", query_string=query).get_data(as_text=True)
        return {int(t.split("/")[1]) for t in thread_order(page)}

    assert shown({"q": "rent"}) == {rent, bread}
    assert shown({"q": "RENT strike"}) == {rent}
    assert shown({"q": "tenants", "sort": "created"}) == {rent}
    assert shown({"q": "absent"}) == set()
    assert "No thread matches this filter." in client.get("/soc/catalog.html?q=absent").get_data(
        as_text=True)
    assert client.get("/soc/catalog.html", query_string={"q": "x" * 101}).status_code == 400
    assert shown({"q": ""}) == shown({}) and len(shown({})) == 3
