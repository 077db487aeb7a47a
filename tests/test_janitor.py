"""Janitors: capability links, the session they become, scoped actions, revocation, audit."""

import io
import re
import time

import pytest
import requests
from itsdangerous import URLSafeSerializer

from leftbook.database.models import AuditEntry, Capability, FileBan, Post, Report, Thread
from tests.images import photo

LINK = re.compile(r"http://[^/\s]+/janitor/(\S+)")


def png(seed: int = 1) -> bytes:
    out = io.BytesIO()
    photo(96, 64, seed=seed).save(out, "PNG")
    return out.getvalue()


def grant(runner, *args: str) -> str:
    result = runner.invoke(args=["janitor", "grant", *args])
    assert result.exit_code == 0, result.output
    return LINK.search(result.output).group(1)


def open_link(client, token: str):
    return client.get(f"/janitor/{token}")


def act(client, board: str, action: str, no: int, **extra):
    page = client.get(f"/{board}/")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    return client.post(f"/janitor/action/{board}",
                       data={"csrf_token": csrf, "do": f"{action}:{no}", **extra})


@pytest.fixture
def janitor(runner, client):
    token = grant(runner, "--board", "soc", "--days", "2", "--note", "test jan")
    assert open_link(client, token).status_code == 303
    return token


def test_grant_list_revoke(runner):
    grant(runner, "--board", "soc", "--board", "meta", "--note", "first", "--can", "delete,lock")
    grant(runner, "--all", "--days", "7")
    listing = runner.invoke(args=["janitor", "list"]).output.splitlines()
    assert listing[0].split("\t")[:4] == ["1", "first", "meta,soc", "delete,lock"]
    assert listing[1].split("\t")[2] == "*" and listing[1].endswith("active")
    assert runner.invoke(args=["janitor", "revoke", "1"]).exit_code == 0
    assert runner.invoke(args=["janitor", "list"]).output.splitlines()[0].endswith("revoked")
    assert runner.invoke(args=["janitor", "revoke", "99"]).exit_code != 0


def test_grant_needs_a_scope_and_known_powers(runner):
    assert runner.invoke(args=["janitor", "grant"]).exit_code != 0
    assert runner.invoke(args=["janitor", "grant", "--board", "nope"]).exit_code != 0
    assert runner.invoke(args=["janitor", "grant", "--all", "--can", "nuke"]).exit_code != 0


def test_link_is_short_and_becomes_a_session_cookie(runner, client):
    token = grant(runner, "--board", "soc", "--days", "1")
    assert len(token) < 120
    response = open_link(client, token)
    assert response.status_code == 303
    assert response.headers["Location"] == "/janitor/"
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("janitor="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Expires=" in cookie
    assert token not in cookie
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/janitor/").status_code == 200


def test_cookie_expires_no_later_than_the_capability(runner, client, frozen_clock):
    frozen_clock(int(time.time()))
    response = open_link(client, grant(runner, "--board", "soc", "--days", "1"))
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("janitor="))
    expires = re.search(r"Expires=([^;]+)", cookie).group(1)
    assert time.strptime(expires, "%a, %d %b %Y %H:%M:%S GMT")
    with client.application.app_context():
        cap = Capability.get()
    assert cap.expires - int(time.time()) <= 86400


def test_bad_tokens_are_refused(app, runner, client):
    token = grant(runner, "--board", "soc")
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    assert open_link(client, flipped).status_code == 403
    forged = URLSafeSerializer(b"x" * 32, salt="leftbook.janitor.link.v1").dumps(
        [1, "*", "dfls", 4_000_000_000])
    assert open_link(client, forged).status_code == 403
    runner.invoke(args=["janitor", "revoke", "1"])
    response = open_link(client, token)
    assert response.status_code == 403 and "revoked" in response.get_data(as_text=True)
    assert client.get("/janitor/").status_code == 403


def test_expired_link_is_refused(runner, client, frozen_clock):
    frozen_clock(1_800_000_000)
    token = grant(runner, "--board", "soc", "--days", "1")
    frozen_clock(1_800_000_000 + 86400 + 1)
    assert open_link(client, token).status_code == 403


def test_revocation_stops_a_live_session(app, runner, client, janitor, new_thread):
    op = new_thread("soc")
    runner.invoke(args=["janitor", "revoke", "1"])
    assert act(client, "soc", "delete", op).status_code == 403
    with app.app_context():
        assert Post.select().count() == 1


def test_revoke_all_rotates_the_key(app, runner, client, janitor):
    key_before = app.config["SECRETS"].capability_key
    assert runner.invoke(args=["janitor", "revoke", "--all"]).exit_code == 0
    assert client.get("/janitor/").status_code == 403
    assert (app.config["SETTINGS"].data_dir / "capability_key").read_bytes() != key_before


def test_scope_a_soc_janitor_cannot_touch_theory(app, client, janitor, new_thread):
    op = new_thread("theory")
    response = act(client, "theory", "delete", op)
    assert response.status_code == 403
    with app.app_context():
        assert Post.select().where(Post.board == "theory").count() == 1


def test_powers_are_enforced(runner, client, new_thread):
    token = grant(runner, "--board", "soc", "--can", "lock")
    open_link(client, token)
    op = new_thread("soc")
    assert act(client, "soc", "delete", op).status_code == 403
    assert act(client, "soc", "lock", op).status_code == 303


def test_delete_and_delete_file(app, client, janitor, post, new_thread):
    op = new_thread("soc")
    with_file = post("soc", thread=op, body="pic", file=(io.BytesIO(png()), "x.png")).get_json()
    plain = post("soc", thread=op, body="words").get_json()
    assert act(client, "soc", "delete-file", with_file["no"]).status_code == 303
    assert act(client, "soc", "delete", plain["no"]).status_code == 303
    with app.app_context():
        kept = Post.get(Post.no == with_file["no"])
        assert kept.file_id is None
        assert not Post.select().where(Post.no == plain["no"]).exists()
    assert list(app.config["STORE"].root.rglob("*.*")) == []


def test_delete_all_posts_of_one_id_in_the_thread(app, client, janitor, post):
    honest = app.test_client()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"',
                     honest.get("/soc/").get_data(as_text=True)).group(1)

    def honest_post(**fields):
        return honest.post("/soc/post", data={"csrf_token": csrf, **fields},
                           headers={"Accept": "application/json"}).get_json()["no"]

    op = honest_post(body="honest thread")
    spam = [post("soc", thread=op, body=f"spam {n}").get_json()["no"] for n in range(3)]
    reply = honest_post(body="honest reply", thread=op)
    confirm = act(client, "soc", "delete-by-id", spam[1])
    assert confirm.status_code == 200, "a bulk delete asks first"
    page = confirm.get_data(as_text=True)
    assert "Delete 3 posts by ID" in page and all(f"No.{n}" in page for n in spam)
    with app.app_context():
        assert Post.select().count() == 5
    assert act(client, "soc", "delete-by-id", spam[1], confirmed="y").status_code == 303
    with app.app_context():
        assert {p.no for p in Post.select()} == {op, reply}
        assert Thread.get(Thread.no == op).replies == 1


def test_ban_file_refuses_it_and_near_copies(app, client, janitor, post, new_thread):
    op = new_thread("soc")
    original = photo(200, 150, seed=7)
    data = io.BytesIO()
    original.save(data, "PNG")
    no = post("soc", thread=op, body="x", file=(io.BytesIO(data.getvalue()), "a.png")).get_json()
    assert act(client, "soc", "ban-file", no["no"]).status_code == 303
    with app.app_context():
        assert FileBan.select().count() == 1
    again = post("soc", thread=op, body="x", file=(io.BytesIO(data.getvalue()), "b.png"))
    assert again.status_code == 403 and "banned" in again.get_json()["error"]
    resized = io.BytesIO()
    original.resize((160, 120)).save(resized, "JPEG", quality=80)
    near = post("soc", thread=op, body="x", file=(io.BytesIO(resized.getvalue()), "c.jpg"))
    assert near.status_code == 403
    fresh = io.BytesIO()
    photo(200, 150, seed=99).save(fresh, "PNG")
    assert post("soc", thread=op, body="x", file=(fresh, "d.png")).status_code == 200


def test_lock_and_sticky(app, client, janitor, new_thread, post):
    op = new_thread("soc")
    act(client, "soc", "lock", op)
    assert post("soc", thread=op).status_code == 403
    act(client, "soc", "unlock", op)
    assert post("soc", thread=op).status_code == 200
    act(client, "soc", "sticky", op)
    with app.app_context():
        assert Thread.get(Thread.no == op).sticky
    reply = post("soc", thread=op).get_json()["no"]
    assert act(client, "soc", "lock", reply).status_code == 400


def report(client, board, numbers, reason="spam", text=""):
    page = client.get(f"/{board}/")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    return client.post(f"/{board}/report", data={"csrf_token": csrf, "post": numbers,
                                                  "reason": reason, "text": text},
                       headers={"Accept": "application/json"})


def test_dashboard_lists_reports_in_scope_newest_first(app, runner, client, new_thread,
                                                      frozen_clock):
    frozen_clock(1_800_000_000)
    soc = new_thread("soc", body="reported soc post")
    theory = new_thread("theory", body="reported theory post")
    assert report(client, "soc", [soc], "doxxing", "has a name").status_code == 200
    frozen_clock(1_800_000_100)
    report(client, "theory", [theory])
    other = new_thread("soc", body="second soc report")
    report(client, "soc", [other], "organising")
    open_link(client, grant(runner, "--board", "soc"))
    page = client.get("/janitor/").get_data(as_text=True)
    assert "reported soc post" in page and "second soc report" in page
    assert "reported theory post" not in page
    assert page.index("second soc report") < page.index("reported soc post")
    with app.app_context():
        rid = Report.select().where(Report.reason == "organising").get().id
    act(client, "soc", "dismiss", other, report=rid)
    assert "second soc report" not in client.get("/janitor/").get_data(as_text=True)


def test_janitor_sees_delete_buttons_only_in_scope(runner, client, new_thread):
    soc = new_thread("soc")
    theory = new_thread("theory")
    assert "janitor/action" not in client.get(f"/soc/res/{soc}.html").get_data(as_text=True)
    open_link(client, grant(runner, "--board", "soc"))
    assert 'formaction="/janitor/action/soc"' in client.get(f"/soc/res/{soc}.html").get_data(
        as_text=True)
    assert "janitor/action" not in client.get(f"/theory/res/{theory}.html").get_data(as_text=True)


def test_audit_log_records_actions_and_nothing_identifying(app, client, janitor, post,
                                                           new_thread):
    op = new_thread("soc", body="secret body text", name="Someone#tripword", password="pw123")
    act(client, "soc", "sticky", op)
    act(client, "soc", "delete", op)
    with app.app_context():
        entries = [(e.capability, e.action, e.board, e.post_no) for e in AuditEntry.select()]
        columns = set(AuditEntry._meta.fields)
    assert entries == [(1, "sticky", "soc", op), (1, "delete", "soc", op)]
    assert columns == {"id", "capability", "action", "board", "post_no", "time"}


def test_reports_are_bounded_per_token_and_carry_nothing_identifying(app, client, post,
                                                                     new_thread):
    op = new_thread("soc")
    replies = [post("soc", thread=op, body=f"r{n}").get_json()["no"] for n in range(6)]
    for no in replies[:5]:
        assert report(client, "soc", [no]).status_code == 200
    limited = report(client, "soc", [replies[5]])
    assert limited.status_code == 429
    assert report(client, "soc", [op], reason="nonsense").status_code == 400
    assert report(client, "soc", [424242]).status_code == 404
    with app.app_context():
        assert Report.select().count() == 5
        assert set(Report._meta.fields) == {"id", "post", "board", "reason", "text", "created",
                                           "handled"}


def test_actions_need_the_csrf_token(app, client, janitor, new_thread):
    op = new_thread("soc")
    response = client.post("/janitor/action/soc", data={"do": f"delete:{op}"})
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    forged = client.post("/janitor/action/soc", data={"do": f"delete:{op}", "csrf_token": "x"})
    assert forged.status_code == 400
    with app.app_context():
        assert Post.select().count() == 1
        assert AuditEntry.select().count() == 0


def test_leaving_the_session_drops_the_capability(client, janitor):
    page = client.get("/janitor/").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/janitor/logout", data={"csrf_token": csrf}).status_code == 303
    assert client.get("/janitor/").status_code == 403


def test_grant_prints_the_sites_onion_name_when_it_has_one(settings):
    from leftbook import create_app
    from leftbook.cli import main
    from onion.keys import new_service_key, service_id

    onion = service_id(new_service_key()) + ".onion"
    app = create_app({**settings, "LEFTBOOK_ONION_HOST": onion})
    output = app.test_cli_runner().invoke(main, ["janitor", "grant", "--all"]).output
    assert output.startswith(f"http://{onion}/janitor/")


@pytest.mark.slow
def test_grant_prints_the_port_the_site_serves_on(tmp_path):
    import subprocess

    from tests.serving import LEFTBOOK, running_site, server_env

    with running_site(tmp_path) as site:
        grant = subprocess.run([LEFTBOOK, "janitor", "grant", "--all"], capture_output=True,
                               text=True, env=server_env(tmp_path / "data"), cwd=tmp_path,
                               check=True)
        link = grant.stdout.strip()
        assert link.startswith(f"{site.base}/janitor/"), link
        assert requests.get(link, timeout=10, allow_redirects=False).status_code == 303
    assert not (tmp_path / "data" / "serving").exists(), "forgotten when it stops"
