"""Page fragments shared by every reader: rendered once per version, kept in the app's
`FragmentCache`; janitors in scope get theirs rendered fresh, with their controls."""

from collections.abc import Callable

from flask import Flask, current_app, render_template

from leftbook.web.janitor_session import current_grant
from leftbook.web.pagecache import FragmentCache


def fragment(key: tuple, template: str, load: Callable[[], dict]) -> str:
    """A cached fragment (`load` runs the queries only on a miss); `key[0]` is the board it
    shows (janitors whose grant covers it see their controls)."""
    grant = current_grant()
    if grant is not None and grant.covers(key[0]):
        return render_template(template, grant=grant, **load())
    cache = current_app.extensions["leftbook_fragments"]
    return cache.get_or_render(key, lambda: render_template(template, grant=None, **load()))


def init_app(app: Flask) -> None:
    app.extensions["leftbook_fragments"] = FragmentCache()
