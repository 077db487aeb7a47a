"""Reading: home, rules, board index pages, catalog and threads."""

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_wtf.csrf import generate_csrf

from leftbook import pages
from leftbook.pagecache import FragmentCache
from leftbook.views.common import PASSWORD_COOKIE, get_board, not_modified_or

blueprint = Blueprint("boards", __name__)


def _fragments() -> FragmentCache:
    return current_app.extensions.setdefault("leftbook_fragments", FragmentCache())


def _form_context() -> dict:
    return {"csrf_token": generate_csrf(), "password": request.cookies.get(PASSWORD_COOKIE, "")}


@blueprint.get("/")
def home():
    boards = current_app.config["BOARDS"].values()
    return not_modified_or(("home",), lambda: render_template("home.html", boards=boards))


@blueprint.get("/rules.html")
def rules():
    boards = current_app.config["BOARDS"].values()
    return not_modified_or(("rules",), lambda: render_template("rules.html", boards=boards))


@blueprint.get("/<board>/<int:page>.html")
@blueprint.get("/<board>/index.html", defaults={"page": 1})
@blueprint.get("/<board>/", defaults={"page": 1})
def index(board: str, page: int):
    b = get_board(board)
    version = pages.board_version(b.slug)
    count = pages.page_count(b)
    if not 1 <= page <= count:
        abort(404, f"This board has {count} page(s).")

    def fragment() -> str:
        return render_template("_index_threads.html", board=b, views=pages.index_page(b, page - 1))

    def render() -> str:
        body = _fragments().get_or_render((b.slug, "index", page, version), fragment)
        return render_template("board.html", board=b, threads_html=body, page=page,
                               page_count=count, **_form_context())

    return not_modified_or((b.slug, "index", page, version), render)


@blueprint.get("/<board>/catalog.html")
def catalog(board: str):
    b = get_board(board)
    version = pages.board_version(b.slug)

    def render() -> str:
        body = _fragments().get_or_render(
            (b.slug, "catalog", version),
            lambda: render_template("_catalog.html", board=b, views=pages.catalog(b)),
        )
        return render_template("catalog.html", board=b, catalog_html=body, **_form_context())

    return not_modified_or((b.slug, "catalog", version), render)


@blueprint.get("/<board>/res/<int:no>.html")
def thread(board: str, no: int):
    b = get_board(board)
    version = pages.board_version(b.slug)
    view = pages.thread_view(b, no)
    if view is None:
        post = pages.find_post(b, no)
        if post is None:
            abort(404, "This thread does not exist (it may have been deleted or pruned).")
        return redirect(url_for("boards.thread", board=board, no=post.thread_no,
                                _anchor=f"p{no}"), 301)

    def render() -> str:
        body = _fragments().get_or_render(
            (b.slug, "thread", no, version),
            lambda: render_template("_thread_posts.html", board=b, view=view),
        )
        return render_template("thread.html", board=b, thread=view.thread, op=view.posts[0],
                               posts_html=body, **_form_context())

    return not_modified_or((b.slug, "thread", no, version), render)
