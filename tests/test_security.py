"""Headers, host check, cookies, and errors that never show a stack trace."""

import pytest

from leftbook.web.security import host_allowed


def test_every_response_has_strict_headers(client):
    for path in ("/", "/soc/", "/static/style.css", "/nope/"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "script-src 'none'" in csp
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "Server" not in headers


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.2", "leftbook.onion"])
def test_other_hosts_get_421(client, host):
    response = client.get("/", headers={"Host": host})
    assert response.status_code == 421


def test_onion_host_is_answered_once_known(app, client):
    onion = "a" * 56 + ".onion"
    assert client.get("/", headers={"Host": onion}).status_code == 421
    app.config["ONION_HOST"] = onion
    assert client.get("/", headers={"Host": onion}).status_code == 200
    assert client.get("/", headers={"Host": onion.upper() + ":80"}).status_code == 200


def test_loopback_names():
    assert host_allowed("localhost:8080", None)
    assert host_allowed("127.0.0.1", None)
    assert host_allowed("[::1]:8080", None)
    assert not host_allowed("localhost.evil.example", None)
    assert not host_allowed("localhost:evil", None)
    assert not host_allowed("localhost:80@evil.example", None)
    assert not host_allowed("", None)


def test_posting_cookies_are_httponly_and_strict(client, post):
    response = post("soc", body="cookie check")
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies
    for cookie in cookies:
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_crash_shows_friendly_500_without_traceback(app, client, monkeypatch):
    from leftbook.reading import pages

    def explode(*_args):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(pages, "board_state", explode)  # every board page reads it first
    response = client.get("/soc/")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "secret internals" not in body and "Traceback" not in body
    json_response = client.get("/soc/", headers={"Accept": "application/json"})
    assert json_response.status_code == 500 and "error" in json_response.get_json()


def test_method_not_allowed_is_friendly(client):
    response = client.get("/soc/post")
    assert response.status_code in (404, 405)
    assert "Traceback" not in response.get_data(as_text=True)


def test_onion_host_from_configuration(settings):
    from leftbook import create_app
    from onion.keys import new_service_key, service_id

    onion = service_id(new_service_key()) + ".onion"
    client = create_app({**settings, "LEFTBOOK_ONION_HOST": onion}).test_client()
    assert client.get("/", headers={"Host": onion}).status_code == 200


def test_after_a_report_the_reader_returns_to_the_page_never_elsewhere(client, post):
    import re

    op = post("soc", body="x").get_json()["no"]
    csrf = re.search(r'name="csrf_token" value="([^"]+)"',
                     client.get("/soc/").get_data(as_text=True)).group(1)

    def report(back: str) -> str:
        response = client.post("/soc/report", data={"csrf_token": csrf, "post": [op],
                                                     "reason": "spam", "back": back})
        assert response.status_code == 303
        return response.headers["Location"]

    assert report(f"/soc/res/{op}.html") == f"/soc/res/{op}.html"
    assert report("//evil.example/x") == "/soc/"
    assert report("https://evil.example/") == "/soc/"
    assert report("/\\evil.example") == "/soc/"
