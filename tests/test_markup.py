import time
from html.parser import HTMLParser

import pytest

from leftbook.posting.markup import MAX_LOOKUPS, Rendered, render

# post number -> thread number, per board
POSTS = {"theory": {1: 1, 2: 1, 7: 5}, "soc": {40: 33}}
BOARDS = {"theory", "soc", "meta"}


class Calls:
    """The lookups the renderer made, so tests can count them."""

    def __init__(self) -> None:
        self.threads: list[tuple[str, int]] = []
        self.boards: list[str] = []

    def find_thread(self, board: str, no: int) -> int | None:
        self.threads.append((board, no))
        return POSTS.get(board, {}).get(no)

    def board_exists(self, slug: str) -> bool:
        self.boards.append(slug)
        return slug in BOARDS


def md(body: str, calls: Calls | None = None) -> Rendered:
    calls = calls or Calls()
    return render(body, "theory", calls.find_thread, calls.board_exists)


def url_link(url: str) -> str:
    return f'<a href="{url}" rel="noreferrer noopener nofollow" target="_blank">{url}</a>'


class TagBalance(HTMLParser):
    """Checks every opened tag is closed in order; <br> is void."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.errors: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs.append(dict(attrs)["href"] or "")
        if tag != "br":
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.errors.append(tag)


def parse(html: str) -> TagBalance:
    parser = TagBalance()
    parser.feed(html)
    parser.close()
    return parser


def test_plain_text_and_line_breaks():
    assert md("hello\nworld\n\nend").html == "hello<br>world<br><br>end"


def test_everything_is_escaped():
    html = md("<script>alert('x')</script> & \"q\"").html
    assert html == "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;q&quot;"


def test_greentext_line():
    assert md("plain\n>implying\n x>y").html == (
        'plain<br><span class="quote">&gt;implying</span><br> x&gt;y'
    )


def test_quote_link_to_existing_post_in_another_thread():
    rendered = md(">>7 yes")
    assert rendered.html == '<a class="quotelink" href="/theory/res/5.html#p7">&gt;&gt;7</a> yes'
    assert rendered.quotes == (7,)


def test_quote_of_missing_post_is_struck_not_linked():
    rendered = md("see >>99")
    assert rendered.html == 'see <s class="deadlink">&gt;&gt;99</s>'
    assert rendered.quotes == ()


def test_quote_at_line_start_is_not_greentext_but_later_greentext_holds_quotes():
    html = md(">>1\n>agree with >>2").html
    assert html.startswith('<a class="quotelink" href="/theory/res/1.html#p1">')
    assert html.endswith(
        '<br><span class="quote">&gt;agree with '
        '<a class="quotelink" href="/theory/res/1.html#p2">&gt;&gt;2</a></span>'
    )


def test_quotes_list_existing_posts_once_in_order_of_first_appearance():
    assert md(">>2 >>99 >>1 >>2\n>>1 >>>/soc/40 >>>/theory/7").quotes == (2, 1)


def test_quote_numbers_are_looked_up_once_each():
    calls = Calls()
    md(">>1 >>1 >>2 >>1 >>99 >>99", calls)
    assert sorted(calls.threads) == [("theory", 1), ("theory", 2), ("theory", 99)]


def test_overlong_quote_number_is_struck_without_lookup():
    calls = Calls()
    digits = "1" * 13
    assert md(f">>{digits}", calls).html == f'<s class="deadlink">&gt;&gt;{digits}</s>'
    assert calls.threads == []


def test_lookups_are_capped_and_the_rest_struck():
    calls = Calls()
    html = md(" ".join(f">>{n}" for n in range(100, 100 + MAX_LOOKUPS + 5)) + " >>1", calls).html
    assert len(calls.threads) == MAX_LOOKUPS
    assert html.endswith('<s class="deadlink">&gt;&gt;1</s>')


def test_cross_board_post_link():
    assert md(">>>/soc/40").html == (
        '<a class="quotelink" href="/soc/res/33.html#p40">&gt;&gt;&gt;/soc/40</a>'
    )


def test_cross_board_missing_post_is_struck():
    assert md(">>>/soc/41").html == '<s class="deadlink">&gt;&gt;&gt;/soc/41</s>'


def test_cross_board_board_link_when_board_exists():
    assert md("go to >>>/meta/").html == (
        'go to <a class="quotelink" href="/meta/">&gt;&gt;&gt;/meta/</a>'
    )


def test_cross_board_link_to_missing_board_is_struck():
    assert md(">>>/nope/ >>>/nope/3").html == (
        '<s class="deadlink">&gt;&gt;&gt;/nope/</s> <s class="deadlink">&gt;&gt;&gt;/nope/3</s>'
    )


def test_invalid_board_slug_is_plain_text():
    assert md(">>>/Bad/1").html == '<span class="quote">&gt;&gt;&gt;/Bad/1</span>'


@pytest.mark.parametrize(
    ("body", "html"),
    [
        ("a **secret** b", 'a <span class="spoiler">secret</span> b'),
        (
            "**one** and **two**",
            '<span class="spoiler">one</span> and <span class="spoiler">two</span>',
        ),
        ("**open only", "**open only"),
        ("**a** b **c", '<span class="spoiler">a</span> b **c'),
        ("****", "****"),
        ("**a\nb**", "**a<br>b**"),
        (
            "**>>1**",
            '<span class="spoiler"><a class="quotelink" href="/theory/res/1.html#p1">'
            "&gt;&gt;1</a></span>",
        ),
    ],
)
def test_spoilers(body: str, html: str):
    assert md(body).html == html


def test_plain_urls_are_linked():
    assert md("see https://example.org/a?b=1&c=2 now").html == (
        f"see {url_link('https://example.org/a?b=1&amp;c=2')} now"
    )


def test_onion_url_is_linked():
    url = "http://" + "a" * 56 + ".onion/theory/"
    assert md(url).html == url_link(url)


@pytest.mark.parametrize(
    ("body", "url", "rest"),
    [
        ("http://x.org/a.", "http://x.org/a", "."),
        ("http://x.org/a,", "http://x.org/a", ","),
        ("http://x.org/a?!", "http://x.org/a", "?!"),
        ("http://x.org/a);", "http://x.org/a", ");"),
        ("http://x.org/a_(b)", "http://x.org/a_(b)", ""),
        ("http://x.org/a<b", "http://x.org/a", "&lt;b"),
        ("http://x.org/a>b", "http://x.org/a", "&gt;b"),
    ],
)
def test_url_stops_at_trailing_punctuation(body: str, url: str, rest: str):
    assert md(body).html == url_link(url) + rest


def test_url_quotes_cannot_break_the_attribute():
    html = md('http://x.org/"onmouseover="alert(1)\'x').html
    assert '"onmouseover' not in html
    assert parse(html).hrefs == ['http://x.org/"onmouseover="alert(1)\'x']


@pytest.mark.parametrize(
    "body", ["javascript:alert(1)", "data:text/html,<b>x</b>", "ftp://x.org/", "http://"]
)
def test_only_http_urls_are_linked(body: str):
    assert "<a" not in md(body).html


def test_mixed_body_is_well_formed_and_keeps_text():
    body = (
        ">>1 >>99\n>green **spoiled >>2** http://x.org/?q=<b>&r='1'\n"
        ">>>/soc/40 >>>/meta/ >>>/nope/ **unmatched <i>\n<script>alert(1)</script>"
    )
    parser = parse(md(body).html)
    assert parser.errors == []
    assert parser.open == []
    assert parser.hrefs == [
        "/theory/res/1.html#p1",
        "/theory/res/1.html#p2",
        "http://x.org/?q=",
        "/soc/res/33.html#p40",
        "/meta/",
    ]


@pytest.mark.parametrize(
    "body",
    [
        "*" * 10000,
        ">>" * 5000,
        ">>>/" * 2500,
        "http://" + "a" * 10000,
        "http://" + ")" * 10000,
        ">>1 " * 2500,
        " ".join(f">>{n}" for n in range(2000)),
        "**>>1" * 2000,
        ">\n" * 5000,
        ">>" + "9" * 10000,
    ],
)
def test_hostile_bodies_render_quickly(body: str):
    started = time.perf_counter()
    rendered = md(body)
    assert time.perf_counter() - started < 1.0
    assert parse(rendered.html).errors == []
