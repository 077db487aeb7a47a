"""Captcha without JavaScript: image, solve, wrong answer, expiry, replay, the pass cookie."""

import io
import re
from dataclasses import replace

import pytest
from PIL import Image

from leftbook import create_app
from leftbook.abuse import captcha
from leftbook.database.models import Post
from tests.helpers import CSRF_INPUT

CHALLENGE_INPUT = re.compile(r'name="captcha_challenge" value="([^"]+)"')


@pytest.fixture
def app(settings):
    return create_app({**settings, "LEFTBOOK_CAPTCHA": "always"})


def form_tokens(client, path: str = "/soc/") -> tuple[str, str | None]:
    page = client.get(path).get_data(as_text=True)
    challenge = CHALLENGE_INPUT.search(page)
    return CSRF_INPUT.search(page).group(1), challenge.group(1) if challenge else None


def answer(app, token: str) -> str:
    secret = app.config["SECRET_KEY"]
    return captcha.answer_for(secret, captcha.read_challenge(secret, token).id)


def submit(client, board: str = "soc", challenge: str | None = None, typed: str | None = None,
           json: bool = True, **fields):
    csrf, _shown = form_tokens(client, f"/{board}/")
    data = {"body": fields.pop("body", "hello"), "csrf_token": csrf, **fields}
    if challenge is not None:
        data.update(captcha_challenge=challenge, captcha_answer=typed or "")
    headers = {"Accept": "application/json"} if json else {}
    return client.post(f"/{board}/post", data=data, headers=headers,
                       content_type="multipart/form-data")


def posts_stored(app) -> int:
    with app.app_context():
        return Post.select().count()


def test_answer_is_bound_to_the_signed_challenge(app, frozen_clock):
    secret = app.config["SECRET_KEY"]
    token = captcha.new_challenge(secret)
    challenge = captcha.read_challenge(secret, token)
    assert len(captcha.answer_for(secret, challenge.id)) == captcha.ANSWER_LENGTH
    assert set(captcha.answer_for(secret, challenge.id)) <= set(captcha.ALPHABET)
    assert captcha.answer_for(secret, challenge.id) != captcha.answer_for(b"x" * 32, challenge.id)
    assert captcha.read_challenge(b"another key that is long enough!", token) is None
    assert captcha.read_challenge(secret, token[:-2] + "xx") is None
    assert captcha.read_challenge(secret, captcha.new_pass(secret)) is None, "salts differ"


def test_image_is_a_noisy_png_served_fresh(app, client):
    _csrf, token = form_tokens(client)
    response = client.get(f"/captcha/{token}.png")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Cache-Control"] == "no-store"
    image = Image.open(io.BytesIO(response.data))
    assert image.size == captcha.IMAGE_SIZE
    histogram = image.convert("L").histogram()
    dark = sum(histogram[:128])
    assert 0.03 < dark / (image.width * image.height) < 0.6
    assert client.get("/captcha/forged-token.png").status_code == 404


def test_form_shows_the_captcha_and_a_post_without_it_is_refused(app, client):
    _csrf, token = form_tokens(client)
    assert token and f"/captcha/{token}.png" in client.get("/soc/").get_data(as_text=True)
    refused = submit(client)
    assert refused.status_code == 400
    assert "needs a captcha" in refused.get_json()["error"]
    page = submit(client, json=False)
    assert page.status_code == 400 and 'name="captcha_answer"' in page.get_data(as_text=True)
    assert posts_stored(app) == 0


def test_right_answer_in_any_case_posts(app, client):
    _csrf, token = form_tokens(client)
    response = submit(client, challenge=token, typed=f" {answer(app, token).lower()} ")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert posts_stored(app) == 1


def test_wrong_answer_is_refused_and_burns_the_challenge(app, client):
    _csrf, token = form_tokens(client)
    wrong = submit(client, challenge=token, typed="AAAAAA")
    assert wrong.status_code == 400 and "wrong" in wrong.get_json()["error"]
    retry = submit(client, challenge=token, typed=answer(app, token))
    assert retry.status_code == 400 and "already used" in retry.get_json()["error"]
    assert posts_stored(app) == 0
    _csrf, fresh = form_tokens(client)
    assert fresh != token, "the form shows a new challenge once the old one is used"


def test_expired_challenge_is_refused(app, client, frozen_clock):
    frozen_clock(1_000_000)
    _csrf, token = form_tokens(client)
    typed = answer(app, token)
    frozen_clock(1_000_000 + captcha.CHALLENGE_SECONDS)
    response = submit(client, challenge=token, typed=typed)
    assert response.status_code == 400 and "expired" in response.get_json()["error"]
    assert posts_stored(app) == 0


def test_solved_challenge_cannot_be_replayed(app, client):
    _csrf, token = form_tokens(client)
    typed = answer(app, token)
    assert submit(client, challenge=token, typed=typed).status_code == 200
    stranger = app.test_client()
    replay = submit(stranger, challenge=token, typed=typed)
    assert replay.status_code == 400 and "already used" in replay.get_json()["error"]
    assert posts_stored(app) == 1


def test_pass_cookie_admits_a_few_posts_then_runs_out(app, client):
    _csrf, token = form_tokens(client)
    first = submit(client, challenge=token, typed=answer(app, token))
    cookie = next(c for c in first.headers.getlist("Set-Cookie") if c.startswith("pass="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert form_tokens(client)[1] is None, "a pass holder is not shown a captcha"
    for _ in range(captcha.PASS_POSTS - 1):
        assert submit(client).status_code == 200
    assert submit(client).status_code == 400
    assert form_tokens(client)[1] is not None
    copier = app.test_client()
    copier.set_cookie("pass", client.get_cookie("pass").value)
    assert submit(copier).status_code == 400, "a copied pass shares the same use count"
    assert posts_stored(app) == captcha.PASS_POSTS


def test_pass_cookie_expires_and_cannot_be_forged(app, client, frozen_clock):
    frozen_clock(2_000_000)
    _csrf, token = form_tokens(client)
    assert submit(client, challenge=token, typed=answer(app, token)).status_code == 200
    frozen_clock(2_000_000 + captcha.PASS_SECONDS)
    assert submit(client).status_code == 400
    forger = app.test_client()
    forger.set_cookie("pass", '{"i":"x","e":9999999999}.forged')
    assert submit(forger).status_code == 400


def test_a_304_never_serves_a_used_challenge(app, client):
    first = client.get("/soc/")
    _csrf, token = form_tokens(client)
    again = client.get("/soc/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304, "the page is cached while its challenge is good"
    assert submit(client, challenge=token, typed=answer(app, token)).status_code == 200
    client.delete_cookie("pass")
    later = client.get("/soc/", headers={"If-None-Match": first.headers["ETag"]})
    assert later.status_code == 200
    assert CHALLENGE_INPUT.search(later.get_data(as_text=True)).group(1) != token


def test_solve_page_grants_a_pass(app, client):
    page = submit(client, json=False).get_data(as_text=True)
    token = CHALLENGE_INPUT.search(page).group(1)
    csrf = CSRF_INPUT.search(page).group(1)
    solved = client.post("/captcha/solve", data={
        "csrf_token": csrf, "captcha_challenge": token, "captcha_answer": answer(app, token)})
    assert solved.status_code == 200 and "Go back" in solved.get_data(as_text=True)
    assert submit(client).status_code == 200


def test_auto_mode_asks_only_for_new_threads_where_the_board_says_so(settings, monkeypatch):
    app = create_app({**settings, "LEFTBOOK_CAPTCHA": "auto"})
    boards = app.config["BOARDS"]
    monkeypatch.setitem(boards, "soc", replace(boards["soc"], captcha="threads"))
    client = app.test_client()
    assert form_tokens(client, "/soc/")[1] is not None
    assert form_tokens(client, "/theory/")[1] is None
    _csrf, token = form_tokens(client, "/soc/")
    op = submit(client, challenge=token, typed=answer(app, token)).get_json()["no"]
    client.delete_cookie("pass")
    assert form_tokens(client, f"/soc/res/{op}.html")[1] is None
    assert submit(client, thread=op).status_code == 200
    assert submit(client).status_code == 400
    assert submit(client, "theory").status_code == 200


def test_captcha_off_never_asks(settings):
    app = create_app(settings)
    client = app.test_client()
    assert form_tokens(client)[1] is None
    assert submit(client).status_code == 200
