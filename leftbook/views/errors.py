"""Friendly error pages (or JSON) for every failure; never a stack trace."""

import logging

from flask import Blueprint, jsonify, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from leftbook.views.common import wants_json

blueprint = Blueprint("errors", __name__)
log = logging.getLogger("leftbook")

TITLES = {
    400: "Bad request", 403: "Not allowed", 404: "Not found", 405: "Method not allowed",
    409: "Conflict", 413: "Too large", 415: "Unsupported file", 421: "Wrong host",
    429: "Slow down", 500: "Something broke",
}


def error_response(status: int, message: str):
    if wants_json():
        return jsonify(error=message), status
    title = TITLES.get(status, "Error")
    return render_template("error.html", status=status, title=title, message=message), status


@blueprint.app_errorhandler(CSRFError)
def csrf_failed(exc: CSRFError):
    return error_response(
        400, f"{exc.description} Reload the page and submit the form again."
    )


@blueprint.app_errorhandler(HTTPException)
def http_error(exc: HTTPException):
    return error_response(exc.code or 500, exc.description or TITLES.get(exc.code, "Error"))


@blueprint.app_errorhandler(Exception)
def unexpected_error(exc: Exception):
    log.error("unhandled %s", type(exc).__name__, exc_info=exc)
    return error_response(500, InternalServerError.description)
