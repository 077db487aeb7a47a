"""The overboard: `/overboard/` (and `/overboard/<n>.html`), its catalog and `catalog.json`."""

import json

from flask import Blueprint, abort, render_template, request

from leftbook.reading import apiformat, catalogs, overboard
from leftbook.web.fragments import fragment
from leftbook.web.http import conditional, version_seen_at
from leftbook.web.shared import shared_page
from leftbook.web.site import boards

blueprint = Blueprint("overboard", __name__, url_prefix="/overboard")

KEY = "overboard"  # no board is called so (boards.RESERVED_SLUGS)


def _scope() -> tuple[tuple[str, ...], tuple[int, ...]]:
    slugs = tuple(overboard.taking_part(boards()))
    return slugs, overboard.version(list(slugs))


@blueprint.get("/<number:page>.html")
@blueprint.get("/", defaults={"page": 1})
def index(page: int):
    slugs, version = _scope()

    def render() -> str:
        count = overboard.page_count(slugs)
        if not 1 <= page <= count:
            abort(404, f"The overboard has only {count} page{'s' if count > 1 else ''}.")
        body = fragment((KEY, "index", page, slugs, version), "_index_threads.html",
                        lambda: {"board": None, "show_board": True,
                                 "views": overboard.index_page(slugs, page - 1)})
        return render_template("overboard.html", threads_html=body, page=page,
                               page_count=count)

    return shared_page(None, (slugs, version), render, scope=KEY)


@blueprint.get("/catalog.html")
def catalog():
    slugs, version = _scope()
    order = catalogs.catalog_order(request.args.get("sort"), request.args.get("q"))

    def threads() -> dict:
        return {"board": None, "show_board": True, "filtered": bool(order.words),
                "views": catalogs.arrange(overboard.catalog(slugs), order)}

    def render() -> str:
        if order.words:
            body = render_template("_catalog.html", grant=None, **threads())
        else:
            body = fragment((KEY, "catalog", slugs, version, order.sort), "_catalog.html",
                            threads)
        return render_template("overboard_catalog.html", catalog_html=body, order=order,
                               sorts=catalogs.SORTS)

    variant = () if order.sort == catalogs.DEFAULT_SORT else (order.sort,)
    return shared_page(None, (slugs, version), render, variant=(*variant, *order.words),
                       scope=KEY, share=not order.words)


@blueprint.get("/catalog.json")
def catalog_json():
    slugs, version = _scope()
    configured = boards()

    def render() -> str:
        threads = []
        for view in overboard.catalog(slugs):
            board = configured[view.thread.board]
            op = apiformat.op_dict(board, view.thread, view.posts[0])
            threads.append({"board": board.slug, **op})
        body = [{"page": 0, "threads": threads}]
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"))

    parts = ("overboard.json", slugs, version)
    return conditional(parts, version_seen_at("overboard.json", parts), render,
                       "application/json")
