"""The reader's own posts and watched threads, held by the browser alone (`web.reader`):
the "(You)" stylesheet, the watch button's form and the `/watched` page."""

from flask import Blueprint, abort, current_app, redirect, render_template, request

from leftbook.reading import pages, watched
from leftbook.refusal import Refusal
from leftbook.web import reader
from leftbook.web.formcookie import PUBLIC_FORM_TOKEN
from leftbook.web.forms import WatchForm, first_error
from leftbook.web.http import local_path
from leftbook.web.site import get_board

blueprint = Blueprint("reader", __name__)

YEAR = 365 * 86400


@blueprint.get("/you.css")
def stylesheet():
    posts = reader.own_posts()
    response = current_app.response_class(reader.you_css(posts), mimetype="text/css")
    named = bool(posts) and request.args.get("v") == reader.own_version()
    response.headers["Cache-Control"] = (f"private, max-age={YEAR}, immutable" if named
                                         else "private, no-cache")
    return response


@blueprint.get("/watched")
def watched_page():
    threads = reader.watched()
    now = watched.current(threads)
    shown = [(now[ref], max(0, now[ref].replies - seen))
             for ref, seen in reversed(threads.items()) if ref in now]
    response = current_app.make_response(render_template(
        "watched.html", threads=shown, gone=len(threads) - len(shown),
        csrf_token=PUBLIC_FORM_TOKEN))
    if len(shown) < len(threads):  # forget the threads that were pruned or deleted
        reader.store_watched(response, {ref: seen for ref, seen in threads.items()
                                        if ref in now})
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blueprint.post("/watched")
def watch():
    form = WatchForm()
    if not form.validate():
        abort(400, first_error(form))
    board, no = get_board(form.board.data or "").slug, form.no.data or 0
    threads = reader.watched()
    if form.do.data == "watch":
        thread = pages.find_post(get_board(board), no)
        if thread is None or thread.no != thread.thread_no:
            raise Refusal("There is no such thread to watch.", 404)
        threads.pop((board, no), None)
        threads[(board, no)] = thread.thread.replies
        if len(threads) > reader.MAX_WATCHED:
            raise Refusal(f"You can watch at most {reader.MAX_WATCHED} threads: unwatch one "
                          "on the watched page first.", 409)
    else:
        threads.pop((board, no), None)
    response = redirect(local_path(form.back.data, "/watched"), 303)
    reader.store_watched(response, threads)
    return response
