"""The fragment cache renders once per key and keeps within its budget, oldest use first."""

from leftbook.web.pagecache import FragmentCache


def test_renders_once_per_key():
    cache = FragmentCache()
    calls = []

    def render():
        calls.append(1)
        return "<p>page</p>"

    assert cache.get_or_render(("soc", 1), render) == "<p>page</p>"
    assert cache.get_or_render(("soc", 1), render) == "<p>page</p>"
    assert len(calls) == 1


def test_evicts_least_recently_used_beyond_the_budget():
    cache = FragmentCache(budget=25)
    rendered = []

    def page(name):
        def render():
            rendered.append(name)
            return name * 10
        return render

    cache.get_or_render("a", page("a"))
    cache.get_or_render("b", page("b"))
    cache.get_or_render("a", page("a"))  # a is now the most recent
    cache.get_or_render("c", page("c"))  # 30 characters held: b goes
    cache.get_or_render("a", page("a"))
    cache.get_or_render("b", page("b"))
    assert rendered == ["a", "b", "c", "b"]
