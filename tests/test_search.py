"""Search: words, phrases, exclusions and the board filter; ranking (relevance, then recency);
excerpts; pages; hostile queries; bounded cost; the index follows every deletion at once.
Runs on SQLite and, in the suite's second pass, on PostgreSQL with the same expectations."""

import pytest

from leftbook.database import database
from leftbook.database.connection import QueryTimeout, time_limit
from leftbook.database.models import Post
from leftbook.search import backends, find, query

T0 = 1_800_000_000
DAY = 86400


def found(client, q: str, **args) -> list[tuple[str, int]]:
    """(board, number) of every hit of a search, in order."""
    response = client.get("/search.json", query_string={"q": q, **args})
    assert response.status_code == 200, response.get_data(as_text=True)
    return [(r["board"], r["no"]) for r in response.get_json()["results"]]


@pytest.fixture
def corpus(new_thread, post, frozen_clock) -> dict[str, int]:
    frozen_clock(T0)
    numbers = {
        "rent": new_thread("soc", body="The rent strike on our street won a freeze.",
                           subject="Rent strike report"),
        "reverse": new_thread("soc", body="A strike over the rent is coming, they say."),
        "bread": new_thread("soc", body="Bread and roses: a history of the textile strike."),
        "landlord": new_thread("soc", body="The landlord answered the strike with lawyers."),
        "theory": new_thread("theory", body="Is a rent strike a kind of strike at all?"),
    }
    numbers["reply"] = post("soc", thread=numbers["rent"],
                            body="Congratulations on the strike!").get_json()["no"]
    return numbers


def test_words_phrases_exclusions_and_board(client, corpus):
    every_strike = set(found(client, "strike"))
    assert every_strike == {("soc", n) for k, n in corpus.items() if k != "theory"} | {
        ("theory", corpus["theory"])}
    assert set(found(client, "rent strike")) == {
        ("soc", corpus["rent"]), ("soc", corpus["reverse"]), ("theory", corpus["theory"])}
    assert set(found(client, '"rent strike"')) == {("soc", corpus["rent"]),
                                                   ("theory", corpus["theory"])}
    assert set(found(client, "strike -rent -landlord")) == {("soc", corpus["bread"]),
                                                            ("soc", corpus["reply"])}
    assert set(found(client, 'strike -"rent strike"')) == every_strike - {
        ("soc", corpus["rent"]), ("theory", corpus["theory"])}
    assert found(client, '"rent strike"', board="theory") == [("theory", corpus["theory"])]
    assert found(client, "STRIKES") and set(found(client, "STRIKES")) == every_strike
    assert found(client, "nothingmatchesthis") == []


def test_each_hit_names_board_thread_number_time_and_links_to_the_post(client, corpus):
    answer = client.get("/search.json?q=congratulations").get_json()
    assert answer["matches"] == 1 and answer["pages"] == 1 and answer["more"] is False
    [hit] = answer["results"]
    assert (hit["board"], hit["thread"], hit["no"], hit["time"]) == (
        "soc", corpus["rent"], corpus["reply"], T0)
    assert hit["url"] == f"/soc/res/{corpus['rent']}.html#p{corpus['reply']}"
    assert hit["excerpt"] == "<mark>Congratulations</mark> on the strike!"

    page = client.get("/search?q=rent+strike").get_data(as_text=True)
    assert f'href="/soc/res/{corpus["rent"]}.html#p{corpus["rent"]}"' in page
    assert "<mark>Rent</mark> <mark>strike</mark> report" in page  # the subject, highlighted
    assert "The <mark>rent</mark> <mark>strike</mark> on our street" in page
    assert 'value="rent strike"' in page  # the form keeps the query


def test_relevance_ranks_first_then_recency_favours_new_posts(client, new_thread, frozen_clock):
    frozen_clock(T0)
    weak = new_thread("soc", body="A long post that mentions picket once among many other "
                                  "words about bread, roses, history and the weather.")
    strong = new_thread("soc", body="Picket picket picket.", subject="Picket")
    assert found(client, "picket") == [("soc", strong), ("soc", weak)]

    new = new_thread("soc", body="General assembly tonight.")
    frozen_clock(T0 - 60 * DAY)  # posted later, but dated two months earlier
    old = new_thread("soc", body="General assembly tonight.")
    frozen_clock(T0)
    assert found(client, "assembly") == [("soc", new), ("soc", old)]


def test_results_are_paginated(client, new_thread, frozen_clock):
    frozen_clock(T0)
    numbers = [new_thread("soc", body=f"Solidarity forever, verse {n}.") for n in range(45)]
    first = client.get("/search.json?q=solidarity").get_json()
    assert (first["matches"], first["pages"], len(first["results"])) == (45, 3, 20)
    third = client.get("/search.json?q=solidarity&page=3").get_json()
    assert len(third["results"]) == 5
    every = [r["no"] for p in (1, 2, 3)
             for r in client.get(f"/search.json?q=solidarity&page={p}").get_json()["results"]]
    assert sorted(every) == sorted(numbers)
    assert client.get("/search.json?q=solidarity&page=4").get_json()["results"] == []
    page = client.get("/search?q=solidarity&page=2").get_data(as_text=True)
    assert 'href="/search?q=solidarity&amp;page=3"' in page
    for bad in ("0", "x", "-1", "99999"):
        assert client.get(f"/search.json?q=solidarity&page={bad}").status_code == 400


def test_more_matches_than_the_bound_show_the_best_of_the_newest(client, new_thread,
                                                                   frozen_clock, monkeypatch):
    monkeypatch.setattr(find, "CANDIDATES", 10)
    frozen_clock(T0)
    numbers = [new_thread("soc", body=f"Union meeting number {n}.") for n in range(15)]
    answer = client.get("/search.json?q=union").get_json()
    assert (answer["matches"], answer["more"]) == (10, True)
    assert {r["no"] for r in answer["results"]} == set(numbers[5:])
    assert "More than 10 posts match" in client.get("/search?q=union").get_data(as_text=True)


HOSTILE = [
    "AND", "OR", "NOT", "a AND", "OR b", "NOT NOT", "NEAR(a b, 3)", "NEAR(", "a NEAR/2 b",
    "*", "a*", "^a", "+a", "a:", "subject:a", "body : a", "{subject body}: a", "col:*",
    "(", ")", "(a OR b", "a))", '"', '""', '"""', 'a"b', '"a', 'a"', "-", "--a", "-a", "- -",
    "'", "a' OR '1'='1", "'; DROP TABLE post; --", "\\", "%", "%s", "%(x)s", "_", "?", "?1",
    ":1", "$1", "!!", "a & b", "a | b", "a <-> b", "a <2> b", "a:*", "!a", "a:AB", "''",
    "\x00", "a\x00b", "\u202e", "😀", "Ⅻ", "ﬁ", "İstanbul", "ß", "a" * 40, "a" * 41,
    " ".join(["w"] * 11), " ".join(f"w{n}" for n in range(9)),
    " ".join(f"-w{n} x" for n in range(5)), '"' + " ".join(["w"] * 11) + '"',
    "the a of and to in", "the", "and", "x" * 200, "x" * 201, "a" * 10_000, "a " * 5_000,
    '"' * 10_000, "(" * 5_000, "-" * 10_000,
]


def test_hostile_queries_answer_200_or_400_never_500(client, corpus):
    for text in HOSTILE:
        for path in ("/search", "/search.json"):
            for board in ({}, {"board": "soc"}):
                response = client.get(path, query_string={"q": text, **board})
                assert response.status_code in (200, 400), (path, text, response.status_code)
                if path.endswith(".json"):
                    assert response.is_json and ("results" in response.get_json()
                                                 or "error" in response.get_json())
    assert client.get("/search.json?q=strike").status_code == 200  # the database is fine


def test_bounds_of_the_query_language():
    assert query.parse("   ") is None
    assert query.parse('rent "general strike" -landlord -"bad faith"') == query.Query(
        (("rent",), ("general", "strike")), (("landlord",), ("bad", "faith")))
    assert query.parse("don't") == query.Query((("don", "t"),))
    assert query.parse('"open to the end') == query.Query((("open", "to", "the", "end"),))
    assert query.parse("Strike strike STRIKE") == query.Query((("strike",),))
    for refused in ("-only", "***", "a" * 201, "a" * 41, " ".join(f"w{n}" for n in range(9))):
        with pytest.raises(query.Refusal):
            query.parse(refused)
    assert backends.fts5_match(query.parse('a "b c" -d -"e f"')) == \
        '{subject body} : (("a" AND "b c") NOT ("d" OR "e f"))'
    assert backends.fts5_match(query.parse("a"), "soc") == \
        '({subject body} : ("a")) AND board : "soc"'


def test_unknown_board_is_404_and_blank_query_shows_the_form(client):
    assert client.get("/search.json?q=a&board=nosuch").status_code == 404
    assert client.get("/search?q=a&board=nosuch").status_code == 404
    blank = client.get("/search")
    assert blank.status_code == 200 and 'name="q"' in blank.get_data(as_text=True)
    assert client.get("/search.json").get_json()["results"] == []


def test_a_search_over_its_time_limit_is_stopped(app, client, corpus, monkeypatch):
    with app.app_context(), database.connection_context(), database.atomic():
        slow = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                "WHERE i < 100000000) SELECT count(*) FROM n")
        with pytest.raises(QueryTimeout), time_limit(0.05):
            database.execute_sql(slow).fetchall()

    def too_slow(*_args):
        raise QueryTimeout("stopped")

    monkeypatch.setattr(backends, "candidates", too_slow)
    answer = client.get("/search.json?q=strike")
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "10"
    assert "took too long" in answer.get_json()["error"]
    assert client.get("/search?q=strike").status_code == 503


def test_deleted_and_pruned_posts_are_gone_from_search_at_once(app, client, corpus, post):
    reply = post("soc", thread=corpus["rent"], body="Delete me: cooperative bakery.",
                 password="pw1").get_json()["no"]
    assert found(client, "bakery") == [("soc", reply)]
    deleted = client.post("/soc/delete", data={"post": str(reply), "password": "pw1",
                                               "csrf_token": post.warm()},
                          headers={"Accept": "application/json"})
    assert deleted.get_json() == {"deleted": 1}
    assert found(client, "bakery") == []

    with app.app_context(), database.connection_context():
        from leftbook.database import write_transaction
        from leftbook.retention.removal import delete_post
        with write_transaction():
            delete_post(Post.get(Post.board == "soc", Post.no == corpus["rent"]))
    assert found(client, "congratulations") == []  # the thread's reply went with it
    assert ("soc", corpus["rent"]) not in found(client, "rent")


@pytest.mark.sqlite_only
def test_the_index_purge_leaves_no_deleted_entry_and_a_sound_index(app, post, new_thread):
    from leftbook.database import fulltext, write_transaction

    op = new_thread("soc", body="a thread with many replies")
    numbers = [post("soc", thread=op, body=f"reply {n} on housing co-ops").get_json()["no"]
               for n in range(40)]
    with app.app_context(), database.connection_context():
        with write_transaction():
            Post.delete().where(Post.no.in_(numbers[:20])).execute()
        assert fulltext.purge_due()
        with write_transaction():
            fulltext.purge_step(pages=1)
        with write_transaction():  # a deletion while a purge is under way
            Post.delete().where(Post.no == numbers[20]).execute()
        assert fulltext.purge_due()
        while True:
            with write_transaction():
                if not fulltext.purge_step(pages=1):
                    break
        assert not fulltext.purge_due()
        segments = database.execute_sql("SELECT count(*) FROM post_fts_data WHERE id > 10")
        assert segments.fetchone()[0] >= 1
        database.execute_sql("INSERT INTO post_fts(post_fts, rank) VALUES ('integrity-check', 1)")
        hits = {c.post_id for c in backends.candidates(query.parse("housing"), ["soc"], 100)}
        kept = {p.id for p in Post.select(Post.id).where(Post.no.in_(numbers[21:]))}
    assert hits == kept


def test_board_pages_link_to_a_search_of_their_board(client):
    page = client.get("/soc/").get_data(as_text=True)
    assert 'href="/search?board=soc"' in page
    form = client.get("/search?board=soc").get_data(as_text=True)
    assert '<option value="soc" selected>' in form


def test_excerpts_keep_spoilers_hidden(client, new_thread):
    new_thread("soc", body="the film was good **the butler did it** and long")
    page = client.get("/search?q=film").get_data(as_text=True)
    assert "butler" not in page and "[spoiler]" in page
