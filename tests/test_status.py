"""`leftbook status`: text and JSON on both databases, read-only, numbers only; warnings an
operator should act on; the note a running `leftbook serve` leaves for it."""

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from PIL import Image

from leftbook import clock
from leftbook.abuse import lockdown
from leftbook.abuse.flood import mark_flood
from leftbook.cli.status import _cross_checks as cross_checks
from leftbook.database import bound_to, database, open_read_only
from leftbook.database.models import Lock, Post, Setting
from leftbook.retention import prune as retention
from leftbook.retention import record
from leftbook.serving import onion_status
from leftbook.serving.records import ServeRecord
from tests.helpers import TEST_DATABASE_URL
from tests.serving import running_site, server_env

T0 = 1_800_000_000
SECRET_BODY = "a post body nobody else should read 7f3a"
STATUS = [sys.executable, "-c", "import sys; from leftbook.cli import main; sys.exit(main())",
          "status"]


def picture(seed: int) -> dict:
    out = io.BytesIO()
    Image.new("RGB", (30, 20), (seed * 40 % 256, 90, 20)).save(out, "PNG")
    return {"file": (io.BytesIO(out.getvalue()), f"me-{seed}.png")}


def environment(settings: dict, **extra: str) -> dict[str, str]:
    return {**{k: v for k, v in settings.items() if k.startswith("LEFTBOOK_")}, **extra}


@pytest.fixture
def status(runner, settings):
    """`status(*args, **env)`: run `leftbook status` in this process; the result."""
    def run(*args: str, **extra: str):
        result = runner.invoke(args=["status", *args], env=environment(settings, **extra))
        assert result.exit_code == 0, result.output
        return result

    return run


def as_json(status, **extra: str) -> dict:
    return json.loads(status("--json", "--no-tor", **extra).output)


def test_a_site_with_posts_files_a_prune_pass_and_a_lockdown(app, post, new_thread, status,
                                                            frozen_clock):
    frozen_clock(T0)
    op = new_thread("soc", body=SECRET_BODY, **picture(1))
    post("soc", thread=op, body="a reply", **picture(2))
    post("soc", thread=op, body="the same picture again", **picture(2))
    new_thread("meta", body="another board")
    with app.app_context():
        retention.prune(app.config["BOARDS"], app.config["STORE"])
        lockdown.set_lockdown("meta", "captcha")
        mark_flood("soc")
    report = as_json(status)
    assert report["boards"]["soc"] == {"title": app.config["BOARDS"]["soc"].title,
                                       "threads": 1, "posts": 3, "files": 2,
                                       "file_bytes": report["files"]["bytes"]}
    assert report["boards"]["meta"]["posts"] == 1 and report["boards"]["theory"]["posts"] == 0
    assert report["files"]["files"] == 2 and report["files"]["on_disk"]["files"] == 4
    database_kind = "postgresql" if TEST_DATABASE_URL else "sqlite"
    assert report["database"]["kind"] == database_kind
    assert report["database"]["schema_version"] == report["database"]["schema_expected"]
    assert report["database"]["bytes"] > 0
    assert report["prune"]["last"]["at"] == T0 and report["prune"]["running_since"] is None
    assert report["abuse"]["lockdowns"] == {"meta": "captcha"}
    assert list(report["abuse"]["flood_alarms"]) == ["soc"]
    assert report["abuse"]["captcha"] == "off"
    text = status("--no-tor").output
    for expected in ("/soc/", "schema version", "last pass", "/meta/: captcha",
                     "captcha turned on by a flood: /soc/"):
        assert expected in text
    for output in (text, json.dumps(report)):
        assert SECRET_BODY not in output and "me-1.png" not in output and "a reply" not in output


def test_status_writes_nothing(app, new_thread, status, settings):
    new_thread("soc", body="stays as it is")
    with app.app_context():
        before = [(p.id, p.body, p.password_hash) for p in Post.select()]
        settings_before = {(s.key, s.value) for s in Setting.select()}
    status("--no-tor")
    with app.app_context():
        assert [(p.id, p.body, p.password_hash) for p in Post.select()] == before
        assert {(s.key, s.value) for s in Setting.select()} == settings_before


def test_the_read_only_connection_refuses_writes(app):
    url = app.config["SETTINGS"].database_url
    with (bound_to(open_read_only(url)), pytest.raises(Exception, match=r"read.?only"),
          database.atomic()):
        Setting.create(key="written", value="by status")
    with app.app_context():
        assert not Setting.select().where(Setting.key == "written").exists()


def test_a_data_dir_that_does_not_exist_is_not_made(status, settings, tmp_path):
    missing = tmp_path / "nowhere"
    report = json.loads(status("--json", "--no-tor", LEFTBOOK_DATA_DIR=str(missing),
                               LEFTBOOK_DATABASE_URL=f"sqlite:///{missing}/leftbook.db").output)
    assert not missing.exists()
    assert report["database"] is None and report["boards"] is None
    assert any("does not exist" in w for w in report["warnings"])
    assert any("no database yet" in w for w in report["warnings"])


@pytest.mark.postgres
@pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs the PostgreSQL pass")
def test_an_empty_postgresql_database_stays_empty(status, settings, tmp_path):
    from tests.helpers import reset_test_database

    reset_test_database(TEST_DATABASE_URL)
    report = json.loads(status("--json", "--no-tor",
                               LEFTBOOK_DATA_DIR=str(tmp_path / "fresh")).output)
    assert report["database"]["schema_version"] is None
    assert any("no Leftbook tables yet" in w for w in report["warnings"])
    with bound_to(open_read_only(TEST_DATABASE_URL)):
        assert database.get_tables() == []


def test_secrets_others_can_read_and_files_of_another_user_are_warned_about(app, status):
    data_dir = app.config["SETTINGS"].data_dir
    (data_dir / "tripcode_secret").chmod(0o644)
    data_dir.chmod(0o755)
    warnings = as_json(status)["warnings"]
    assert any(f"{data_dir / 'tripcode_secret'} can be read by other users (mode 644)" in w
               and "chmod 600" in w for w in warnings)
    assert any(f"{data_dir} can be read by other users (mode 755)" in w for w in warnings)
    assert not any("secret_key can be read" in w for w in warnings)
    if os.geteuid() == 0:
        os.chown(data_dir / "capability_key", 65534, 65534)
        warnings = as_json(status)["warnings"]
        assert any("capability_key belongs to user id 65534" in w for w in warnings)


def test_a_disk_nearly_full_is_warned_about(app, status, monkeypatch):
    usage = shutil.disk_usage("/")._replace(total=100 * 1024**3, free=2 * 1024**3)
    monkeypatch.setattr("leftbook.status.checks.shutil.disk_usage", lambda _path: usage)
    report = as_json(status)
    assert report["disk"]["free"] == 2 * 1024**3
    assert any("nearly full: 2.0 GB free (2%)" in w for w in report["warnings"])


def test_a_pass_that_did_not_finish_and_one_that_hangs(app, status, frozen_clock):
    frozen_clock(T0)
    with app.app_context():
        record.mark_running(T0 - 3600)
    warnings = as_json(status)["warnings"]
    assert any("did not finish" in w for w in warnings)
    with app.app_context():
        if app.config["SETTINGS"].database_url.startswith("sqlite"):
            Lock.create(name="prune", holder="elsewhere:1:x", expires=T0 + 60)
            report = as_json(status)
            assert report["prune"]["running_since"] == T0 - 3600
            assert any("held the prune lock for 60 min" in w for w in report["warnings"])


def test_flood_control_off_counts_nothing(app, status):
    report = as_json(status)
    assert report["abuse"]["flood_control"] is False
    assert report["abuse"]["posts_last_minute"] is None
    assert "flood control off" in status("--no-tor").output


def test_tor_absent(app, status, monkeypatch, tmp_path):
    monkeypatch.setattr(onion_status.shutil, "which", lambda _name: None)
    monkeypatch.setattr(onion_status, "SYSTEM_CONTROLS", (f"socket:{tmp_path}/no-socket",))
    result = status("--json", LEFTBOOK_TOR="auto")
    report = json.loads(result.output)
    assert report["onion"]["published"] is None and report["onion"]["tor"] is None
    assert report["onion"]["kind"].startswith("ephemeral")
    assert any("tor is not installed" in w for w in report["warnings"])
    assert "no tor answered" in status(LEFTBOOK_TOR="auto").output


def status_of(env: dict[str, str], cwd) -> dict:
    done = subprocess.run([*STATUS, "--json"], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.slow
@pytest.mark.tor
@pytest.mark.parametrize("client_auth", [False, True])
def test_serve_on_an_offline_tor_is_seen_running_but_not_published(tor, tmp_path,
                                                                    client_auth):
    mode = f"control:127.0.0.1:{tor.control_port}"
    env = server_env(tmp_path / "data", LEFTBOOK_TOR=mode)
    args = ("--onion", "--client-auth") if client_auth else ("--onion",)
    with running_site(tmp_path, args=args, LEFTBOOK_TOR=mode) as site:
        deadline = time.monotonic() + 30
        while "Onion service: http://" not in site.log.read_text():
            assert time.monotonic() < deadline, site.log.read_text()
            time.sleep(0.1)
        report = status_of(env, tmp_path)
        onion = report["onion"]
        address = site.log.read_text().split("Onion service: http://")[1].split("/")[0]
        assert onion["address"] == address and onion["client_auth"] is client_auth
        assert onion["published"] is False, "an offline tor publishes nothing"
        assert onion["tor"]["where"] == mode and onion["tor"]["version"].startswith("0.4")
        assert [(s["port"], s["running"], s["client_auth"]) for s in report["serving"]] == [
            (int(site.base.rpartition(":")[2]), True, client_auth)]
        assert any("holds no descriptor" in w for w in report["warnings"])
    report = status_of(env, tmp_path)
    assert report["serving"] == [] and report["onion"]["client_auth"] is None
    assert report["onion"]["client_auth_key"] is client_auth


def test_a_killed_serve_leaves_a_note_that_status_reports(tmp_path):
    env = server_env(tmp_path / "data")
    with running_site(tmp_path) as site:
        site.process.send_signal(signal.SIGKILL)
        site.process.wait(10)
    report = status_of(env, tmp_path)
    assert [s["running"] for s in report["serving"]] == [False]
    assert any("stopped without withdrawing its note" in w for w in report["warnings"])


def test_passes_run_by_serve_show_in_status(tmp_path):
    env = server_env(tmp_path / "data", LEFTBOOK_PRUNE_INTERVAL="1")
    with running_site(tmp_path, LEFTBOOK_PRUNE_INTERVAL="1"):
        deadline = time.monotonic() + 20
        while (report := status_of(env, tmp_path))["prune"]["last"] is None:
            assert time.monotonic() < deadline, "serve ran no prune pass"
            time.sleep(0.5)
        assert report["serving"][0]["running"] is True
        assert not any("no prune pass finished" in w for w in report["warnings"])
        assert clock.now() - report["prune"]["last"]["at"] < 30


def test_serve_running_without_recent_prune_passes_is_warned_about():
    note = ServeRecord("here", 1, 8080, started=T0 - 7200, onion=False, client_auth=False)
    prune = {"interval": 300.0, "running_since": None,
             "last": {"at": T0 - 3600, "seconds": 1.0, "removed": {}}}
    assert cross_checks({"prune": prune}, [(note, True)], T0) == [
        "serve is running but no prune pass finished for 60 min: see serve's log."]
    prune["last"]["at"] = T0 - 100
    assert cross_checks({"prune": prune}, [(note, True)], T0) == []
    assert cross_checks({"prune": prune}, [(note, False)], T0)[0].startswith(
        "`leftbook serve` on port 8080 (process 1) stopped without withdrawing its note")
