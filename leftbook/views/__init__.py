"""One blueprint per concern; `register_blueprints` wires them into the app."""

from flask import Flask
from werkzeug.routing import IntegerConverter

from leftbook.models import MAX_POST_NO


class NumberConverter(IntegerConverter):
    """`<number:no>`: a post number or page in a URL; longer digit runs are a plain 404."""

    regex = r"\d{1,15}"

    def __init__(self, url_map) -> None:
        super().__init__(url_map, max=MAX_POST_NO)


def register_blueprints(app: Flask) -> None:
    app.url_map.converters["number"] = NumberConverter
    from leftbook.views import api, boards, captcha, errors, feeds, files, janitor, posting, reports

    app.register_blueprint(errors.blueprint)
    app.register_blueprint(captcha.blueprint)
    app.register_blueprint(posting.blueprint)
    app.register_blueprint(files.blueprint)
    app.register_blueprint(janitor.blueprint)
    app.register_blueprint(reports.blueprint)
    app.register_blueprint(api.blueprint)
    app.register_blueprint(feeds.blueprint)
    app.register_blueprint(boards.blueprint)
