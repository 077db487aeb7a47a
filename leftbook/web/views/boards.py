"""Reading: home, rules, board index pages, catalog and threads (shared pages, see shared.py)."""

from collections.abc import Callable

from flask import Blueprint, abort, current_app, redirect, render_template, url_for

from leftbook.moderation.reports import REASONS
from leftbook.reading import pages
from leftbook.refusal import THREAD_GONE, Refusal
from leftbook.web.gate import page_gate
from leftbook.web.janitor_session import current_grant
from leftbook.web.pagecache import FragmentCache
from leftbook.web.shared import form_token, shared_page
from leftbook.web.site import boards, get_board

blueprint = Blueprint("boards", __name__)


@blueprint.record_once
def _make_cache(state) -> None:
    state.app.extensions["leftbook_fragments"] = FragmentCache()


def _fragment(key: tuple, template: str, load: Callable[[], dict]) -> str:
    """A cached fragment (`load` runs the queries only on a miss); janitors in scope get
    their controls rendered fresh instead."""
    grant = current_grant()
    if grant is not None and grant.covers(key[0]):
        return render_template(template, grant=grant, **load())
    cache = current_app.extensions["leftbook_fragments"]
    return cache.get_or_render(key, lambda: render_template(template, grant=None, **load()))


NAV_AROUND = 4  # pages linked on either side of the current one


def shown_pages(page: int, count: int) -> list[int | None]:
    """The page numbers the index links: the first, the last and those near `page`, with
    None for a gap. A board of a hundred pages does not send a hundred links a page."""
    near = range(max(1, page - NAV_AROUND), min(count, page + NAV_AROUND) + 1)
    shown: list[int | None] = []
    for n in sorted({1, count, *near}):
        if shown and shown[-1] is not None and n > shown[-1] + 1:
            shown.append(None)
        shown.append(n)
    return shown


def _form_context() -> dict:
    return {"csrf_token": form_token(), "report_reasons": REASONS,
            "posting_gate": page_gate()}


@blueprint.get("/")
def home():
    shown = boards().values()
    return shared_page(None, 0,
                       lambda: render_template("home.html", boards=shown))


@blueprint.get("/rules.html")
def rules():
    shown = boards().values()
    return shared_page(None, 0,
                       lambda: render_template("rules.html", boards=shown))


@blueprint.get("/<board>/<number:page>.html")
@blueprint.get("/<board>/index.html", defaults={"page": 1})
@blueprint.get("/<board>/", defaults={"page": 1})
def index(board: str, page: int):
    b = get_board(board)
    version = pages.board_version(b.slug)

    def render() -> str:
        threads = pages.thread_count(b)
        count = pages.page_count(b, threads)
        if not 1 <= page <= count:
            abort(404, f"This board has only {count} page{'s' if count > 1 else ''}.")
        body = _fragment((b.slug, "index", page, version), "_index_threads.html",
                         lambda: {"board": b, "views": pages.index_page(b, page - 1)})
        nav = _fragment((b.slug, "pagenav", page, version), "_pages_nav.html",
                        lambda: {"board": b, "page": page, "page_count": count,
                                         "shown_pages": shown_pages(page, count)})
        return render_template("board.html", board=b, threads_html=body, pages_html=nav,
                               has_threads=threads > 0, **_form_context())

    return shared_page(b, version, render)


@blueprint.get("/<board>/catalog.html")
def catalog(board: str):
    b = get_board(board)
    version = pages.board_version(b.slug)

    def render() -> str:
        body = _fragment((b.slug, "catalog", version), "_catalog.html",
                         lambda: {"board": b, "views": pages.catalog(b)})
        return render_template("catalog.html", board=b, catalog_html=body,
                               has_threads=pages.thread_count(b) > 0, **_form_context())

    return shared_page(b, version, render)


@blueprint.get("/<board>/res/<number:no>.html")
def thread(board: str, no: int):
    b = get_board(board)
    version = pages.board_version(b.slug)

    def render():
        op = pages.find_post(b, no)
        if op is None:
            raise Refusal(THREAD_GONE, 404)
        if op.thread_no != no:
            return redirect(url_for("boards.thread", board=board, no=op.thread_no,
                                    _anchor=f"p{no}"), 301)
        body = _fragment((b.slug, "thread", no, version), "_thread_posts.html",
                         lambda: {"board": b, "view": pages.existing_thread_view(b, no)})
        return render_template("thread.html", board=b, thread=op.thread, op=op,
                               posts_html=body, **_form_context())

    return shared_page(b, version, render)
