"""One blueprint per concern; `register_blueprints` wires them into the app."""

from flask import Flask
from werkzeug.routing import IntegerConverter

from leftbook.database.models import MAX_POST_NO
from leftbook.web.views import (
    api,
    boards,
    calendars,
    captcha,
    feeds,
    files,
    janitor,
    overboard,
    posting,
    reader,
    reports,
    search,
    wellknown,
)


class NumberConverter(IntegerConverter):
    """`<number:no>`: a post number or page in a URL; longer digit runs are a plain 404."""

    regex = r"\d{1,15}"

    def __init__(self, url_map) -> None:
        super().__init__(url_map, max=MAX_POST_NO)


def register_blueprints(app: Flask) -> None:
    app.url_map.converters["number"] = NumberConverter
    for module in (captcha, posting, files, janitor, reports, search, overboard, reader, api,
                   feeds, calendars, wellknown, boards):
        app.register_blueprint(module.blueprint)
