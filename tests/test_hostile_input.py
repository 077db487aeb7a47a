"""Hostile input anywhere gets a clear 4xx (or a plain 404), changes nothing, and never a 500."""

import re

import pytest

from leftbook.database.models import Post

HUGE = "9" * 25
ENORMOUS = "9" * 5000


@pytest.mark.parametrize("path", [
    f"/soc/res/{HUGE}.html", f"/soc/res/{HUGE}.json", f"/soc/res/{HUGE}.atom",
    f"/soc/{HUGE}.html", f"/soc/{HUGE}.json", f"/soc/res/{ENORMOUS}.html",
    "/soc/res/-1.html", "/soc/res/1e3.html", "/soc/res/%D9%A1.html",
])
def test_out_of_range_numbers_in_urls_are_404(client, path):
    assert client.get(path).status_code == 404


def csrf(client) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"',
                     client.get("/soc/").get_data(as_text=True)).group(1)


@pytest.mark.parametrize("thread", [HUGE, ENORMOUS, "-5", "0", "\u0661\u0662"])
def test_out_of_range_thread_in_the_form(app, client, thread):
    response = client.post("/soc/post", data={"csrf_token": csrf(client), "thread": thread,
                                              "body": "x"},
                           headers={"Accept": "application/json"})
    assert 400 <= response.status_code < 500, response.get_json()
    assert response.get_json()["error"]
    with app.app_context():
        assert Post.select().count() == 0


@pytest.mark.parametrize("endpoint, extra", [
    ("delete", {"password": "x"}),
    ("report", {"reason": "spam"}),
])
@pytest.mark.parametrize("number", [HUGE, ENORMOUS, "0", "abc", "\u0661"])
def test_out_of_range_selected_posts(client, new_thread, endpoint, extra, number):
    new_thread("soc")
    response = client.post(f"/soc/{endpoint}", data={"csrf_token": csrf(client),
                                                      "post": number, **extra},
                           headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert "numbers" in response.get_json()["error"]


@pytest.mark.parametrize("do", [f"delete:{HUGE}", f"delete:{ENORMOUS}", "delete:", "delete:x",
                                "nonsense:1"])
def test_out_of_range_janitor_actions(runner, client, new_thread, do):
    link = runner.invoke(args=["janitor", "grant", "--all"]).output
    client.get("/janitor/" + re.search(r"/janitor/(\S+)", link).group(1))
    new_thread("soc")
    response = client.post("/janitor/action/soc", data={"csrf_token": csrf(client), "do": do})
    assert 400 <= response.status_code < 500


def test_invalid_utf8_in_a_form_is_harmless(app, client):
    body = b"\xff\xfe invalid \xc3\x28 bytes"
    response = client.post("/soc/post", data={"csrf_token": csrf(client), "body": body},
                           headers={"Accept": "application/json"},
                           content_type="multipart/form-data")
    assert response.status_code in (200, 400)


@pytest.mark.parametrize("host", ["evil..com", "a" * 64 + ".onion", ".", "x" * 300,
                                  "localhost..", "[::1", "localhost:99999999"])
def test_a_malformed_host_is_421_and_logs_nothing(client, caplog, host):
    response = client.get("/soc/", headers={"Host": host})
    assert response.status_code == 421
    assert "does not answer to that host" in response.get_data(as_text=True)
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]


@pytest.mark.parametrize("back", ["/\t/evil.com", "/\n/evil.com", "/\r/evil.com",
                                  "/\\evil.com", "//evil.com", "/ /evil.com", "/%0a"])
def test_the_back_field_never_leaves_the_site(client, new_thread, back):
    op = new_thread("soc")
    response = client.post("/soc/report", data={"csrf_token": csrf(client), "post": op,
                                                "reason": "spam", "back": back})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location in ("/soc/", back) and not location.startswith("//")
    assert "\t" not in location and "\n" not in location and "\\" not in location


@pytest.mark.parametrize("password", ["pw\x1a", "\x1fsecret", "new\nline", "tab\there"])
def test_a_password_with_control_characters_is_refused_and_never_sent_back(
        app, client, password):
    response = client.post("/soc/post", data={"csrf_token": csrf(client), "body": "x",
                                              "password": password},
                           headers={"Accept": "application/json"})
    assert response.status_code == 400 and "password" in response.get_json()["error"]
    assert "Set-Cookie" not in response.headers or password not in \
        response.headers.get("Set-Cookie", "")
    with app.app_context():
        assert Post.select().count() == 0
