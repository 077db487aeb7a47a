"""Lockdown: `leftbook lockdown on|off [--board SLUG] [--mode readonly|captcha]`."""

from leftbook.database.models import Post


def stored(app) -> int:
    with app.app_context():
        return Post.select().count()


def test_board_lockdown_makes_one_board_read_only(app, runner, post, client):
    post.warm()
    result = runner.invoke(args=["lockdown", "on", "--board", "soc"])
    assert result.exit_code == 0, result.output
    assert "/soc/ is now readonly" in result.output
    refused = post("soc", body="during the wave")
    assert refused.status_code == 403
    assert "read-only" in refused.get_json()["error"]
    page = client.get("/soc/").get_data(as_text=True)
    assert "read-only" in page and 'name="body"' not in page
    assert client.get("/soc/").status_code == 200, "reading still works"
    assert post("theory").status_code == 200
    assert stored(app) == 1


def test_site_lockdown_and_lifting_it(app, runner, post, client):
    post.warm()
    assert runner.invoke(args=["lockdown", "on"]).exit_code == 0
    assert post("theory").status_code == 403
    assert post("soc").status_code == 403
    etag = client.get("/theory/").headers["ETag"]
    result = runner.invoke(args=["lockdown", "off"])
    assert result.exit_code == 0 and "lifted" in result.output
    page = client.get("/theory/", headers={"If-None-Match": etag})
    assert page.status_code == 200 and 'name="body"' in page.get_data(as_text=True)
    assert post("theory").status_code == 200


def test_captcha_lockdown_asks_everyone_even_with_captcha_off(app, runner, post, client):
    assert app.config["SETTINGS"].captcha == "off"
    assert runner.invoke(args=["lockdown", "on", "--board", "soc", "--mode", "captcha"]
                         ).exit_code == 0
    assert 'name="captcha_answer"' in client.get("/soc/").get_data(as_text=True)
    refused = post("soc")
    assert refused.status_code == 400 and "captcha" in refused.get_json()["error"]
    assert post("theory").status_code == 200
    assert runner.invoke(args=["lockdown", "off", "--board", "soc"]).exit_code == 0
    assert post("soc").status_code == 200


def test_read_only_wins_over_captcha(app, runner, post):
    post.warm()
    runner.invoke(args=["lockdown", "on", "--mode", "captcha"])
    runner.invoke(args=["lockdown", "on", "--board", "soc"])
    assert post("soc").status_code == 403
    assert post("theory").status_code == 400


def test_unknown_board_is_refused(runner):
    result = runner.invoke(args=["lockdown", "on", "--board", "nosuch"])
    assert result.exit_code != 0 and "no board 'nosuch'" in result.output
