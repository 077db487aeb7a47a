"""Search: `/search?q=…[&board=…][&page=N]` as a page with a form, `/search.json` for clients."""

import json

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from leftbook.abuse import flood, searchrate
from leftbook.refusal import Refusal
from leftbook.search import Results, parse, search
from leftbook.web.cookies import POSTER_COOKIE
from leftbook.web.errors import error_response, refusal_response
from leftbook.web.site import boards, gate_policy

blueprint = Blueprint("search", __name__)

JSON_ENDPOINT = "search.results_json"


def _json(data: object, status: int = 200) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return current_app.response_class(body, status=status, mimetype="application/json")


@blueprint.errorhandler(Refusal)
def refused(refusal: Refusal):
    if request.endpoint == JSON_ENDPOINT:
        response = _json({"error": refusal.message, **refusal.extra}, refusal.status)
        if "retry_after" in refusal.extra:
            response.headers["Retry-After"] = str(refusal.extra["retry_after"])
        return response
    return refusal_response(refusal)


@blueprint.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    if request.endpoint == JSON_ENDPOINT:
        return _json({"error": exc.description or exc.name}, exc.code or 500)
    return error_response(exc.code or 500, exc.description or exc.name)


def _results() -> Results:
    """Read the request's arguments, count the search against flood control, search."""
    text = request.args.get("q", "")
    board = request.args.get("board") or None
    page_arg = request.args.get("page", "1")
    if not (page_arg.isascii() and page_arg.isdigit() and len(page_arg) <= 3):
        abort(400, "The page must be a number.")
    if parse(text) is not None:
        policy = gate_policy()
        if policy.flood:
            poster = flood.poster_key(policy.secret, request.cookies.get(POSTER_COOKIE))
            searchrate.admit_search(poster, board, policy.limits)
    return search(text, board, int(page_arg), boards())


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@blueprint.get("/search")
def results_page():
    results = _results()
    page = render_template("search.html", results=results, text=request.args.get("q", ""),
                           boards=boards().values())
    return _no_store(current_app.make_response(page))


@blueprint.get("/search.json")
def results_json():
    results = _results()
    return _no_store(_json({
        "query": results.query.describe() if results.query else "",
        "board": results.board, "page": results.page, "pages": results.pages,
        "matches": results.matches, "more": results.more,
        "results": [{"board": h.board, "thread": h.thread, "no": h.no, "time": h.time,
                     "sub": h.subject, "excerpt": h.excerpt,
                     "url": url_for("boards.thread", board=h.board, no=h.thread,
                                    _anchor=f"p{h.no}")}
                    for h in results.hits],
    }))
