"""One blueprint per concern; `register_blueprints` wires them into the app."""

from flask import Flask


def register_blueprints(app: Flask) -> None:
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
