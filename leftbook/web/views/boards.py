"""Reading: home, rules, board index pages, catalog and threads (shared pages, see shared.py)."""

from flask import Blueprint, abort, redirect, render_template, request, url_for

from leftbook.moderation.reports import REASONS
from leftbook.reading import catalogs, pages
from leftbook.refusal import THREAD_GONE, Refusal
from leftbook.web import reader
from leftbook.web.fragments import fragment
from leftbook.web.gate import board_page_version, page_gate
from leftbook.web.shared import form_token, shared_page
from leftbook.web.site import boards, get_board

blueprint = Blueprint("boards", __name__)


def _form_context() -> dict:
    return {"csrf_token": form_token(), "report_reasons": REASONS,
            "posting_gate": page_gate()}


@blueprint.get("/")
def home():
    shown = boards().values()
    return shared_page(None, 0, lambda: render_template("home.html", boards=shown))


@blueprint.get("/rules.html")
def rules():
    shown = boards().values()
    return shared_page(None, 0, lambda: render_template("rules.html", boards=shown))


@blueprint.get("/<board>/<number:page>.html")
@blueprint.get("/<board>/index.html", defaults={"page": 1})
@blueprint.get("/<board>/", defaults={"page": 1})
def index(board: str, page: int):
    b = get_board(board)
    version = board_page_version(b)

    def render() -> str:
        threads = pages.thread_count(b)
        count = pages.page_count(b, threads)
        if not 1 <= page <= count:
            abort(404, f"This board has only {count} page{'s' if count > 1 else ''}.")
        body = fragment((b.slug, "index", page, version), "_index_threads.html",
                        lambda: {"board": b, "views": pages.index_page(b, page - 1)})
        nav = fragment((b.slug, "pagenav", page, version), "_pages_nav.html",
                       lambda: {"board": b, "page": page, "page_count": count,
                                "shown_pages": pages.shown_pages(page, count)})
        return render_template("board.html", board=b, threads_html=body, pages_html=nav,
                               has_threads=threads > 0, **_form_context())

    return shared_page(b, version, render)


@blueprint.get("/<board>/catalog.html")
def catalog(board: str):
    b = get_board(board)
    order = catalogs.catalog_order(request.args.get("sort"), request.args.get("q"))
    version = board_page_version(b)

    def threads() -> dict:
        return {"board": b, "views": catalogs.arrange(pages.catalog(b), order),
                "filtered": bool(order.words)}

    def render() -> str:
        if order.words:  # any text: not worth a place in the shared cache
            body = render_template("_catalog.html", grant=None, **threads())
        else:
            body = fragment((b.slug, "catalog", version, order.sort), "_catalog.html", threads)
        return render_template("catalog.html", board=b, catalog_html=body, order=order,
                               sorts=catalogs.SORTS,
                               has_threads=pages.thread_count(b) > 0, **_form_context())

    variant = () if order.sort == catalogs.DEFAULT_SORT else (order.sort,)
    return shared_page(b, version, render, variant=(*variant, *order.words),
                       share=not order.words)


@blueprint.get("/<board>/res/<number:no>.html")
def thread(board: str, no: int):
    b = get_board(board)
    version = board_page_version(b)
    watching = (b.slug, no) in reader.watched()

    def render():
        op = pages.find_post(b, no)
        if op is None:
            raise Refusal(THREAD_GONE, 404)
        if op.thread_no != no:
            return redirect(url_for("boards.thread", board=board, no=op.thread_no,
                                    _anchor=f"p{no}"), 301)
        body = fragment((b.slug, "thread", no, version), "_thread_posts.html",
                        lambda: {"board": b, "view": pages.existing_thread_view(b, no)})
        return render_template("thread.html", board=b, thread=op.thread, op=op,
                               posts_html=body, watching=watching, **_form_context())

    response = shared_page(b, version, render, variant=("watching",) if watching else ())
    if watching and response.status_code in (200, 304):
        op = pages.find_post(b, no)
        if op is not None:
            reader.note_visit(response, b.slug, no, op.thread.replies)
    return response
