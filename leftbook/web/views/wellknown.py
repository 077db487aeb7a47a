"""Files browsers and crawlers ask for at fixed paths: served, not redirected to a 404."""

from flask import Blueprint, current_app, send_from_directory

blueprint = Blueprint("wellknown", __name__)

DAY = 86400


def _static(name: str, mimetype: str):
    response = send_from_directory(current_app.static_folder or "static", name,
                                   mimetype=mimetype, max_age=DAY)
    response.headers["Cache-Control"] = f"public, max-age={DAY}"
    return response


@blueprint.get("/favicon.ico")
def favicon():
    return _static("favicon.ico", "image/vnd.microsoft.icon")


@blueprint.get("/robots.txt")
def robots():
    return _static("robots.txt", "text/plain")
