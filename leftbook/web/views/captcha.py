"""The captcha picture, and solving a captcha on its own (after a refused post)."""

from flask import Blueprint, Response, abort, make_response, render_template, request

from leftbook.abuse import captcha
from leftbook.posting.gate import Ticket
from leftbook.web.gate import keep_new_pass
from leftbook.web.site import secrets

blueprint = Blueprint("captcha", __name__)


@blueprint.get("/captcha/<token>.png")
def image(token: str) -> Response:
    secret = secrets().secret_key
    challenge = captcha.read_challenge(secret, token)
    if challenge is None:
        abort(404, "This captcha has expired: reload the page for a new one.")
    response = make_response(captcha.render_image(captcha.answer_for(secret, challenge.id)))
    response.headers["Content-Type"] = "image/png"
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.post("/captcha/solve")
def solve() -> Response:
    """Solve a captcha on its own (after a refusal); grants the pass cookie. A reader's
    form: the SameSite form cookie guards it (formcookie.py)."""
    secret = secrets().secret_key
    captcha.solve(secret, request.form.get("captcha_challenge", ""),
                  request.form.get("captcha_answer", "")[:32])
    keep_new_pass(Ticket(new_pass=captcha.new_pass(secret)))
    page = render_template(
        "captcha_solve.html", title="Captcha solved", gate=None,
        message=f"You may now post {captcha.PASS_POSTS} times in the next "
                f"{captcha.PASS_SECONDS // 60} minutes. Go back and send your post again.")
    return make_response(page, 200)
