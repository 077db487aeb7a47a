"""The data dir: secrets are made on first start, kept private, and the app refuses to run
without them; its config.toml is read."""

import stat
from pathlib import Path

import pytest

from leftbook import create_app
from leftbook.datadir import SECRET_FILES, write_secret
from leftbook.settings import ConfigError


def test_secrets_are_made_once_with_mode_0600(settings):
    create_app(settings)
    data = Path(settings["LEFTBOOK_DATA_DIR"])
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    first = {}
    for name in SECRET_FILES:
        path = data / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert len(path.read_bytes()) >= 32
        first[name] = path.read_bytes()
    create_app(settings)
    assert {name: (data / name).read_bytes() for name in SECRET_FILES} == first


def test_world_readable_secret_is_refused(settings):
    create_app(settings)
    key = Path(settings["LEFTBOOK_DATA_DIR"]) / "secret_key"
    key.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        create_app(settings)


def test_short_secret_is_refused(settings):
    create_app(settings)
    key = Path(settings["LEFTBOOK_DATA_DIR"]) / "tripcode_secret"
    key.write_bytes(b"dev")
    with pytest.raises(ConfigError, match="shorter than"):
        create_app(settings)


def test_weak_configured_secret_is_refused(settings):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({**settings, "SECRET_KEY": "dev"})


@pytest.mark.sqlite_only
def test_config_toml_and_environment(settings, monkeypatch):
    data = Path(settings["LEFTBOOK_DATA_DIR"])
    data.mkdir(parents=True)
    (data / "config.toml").write_text('LEFTBOOK_CAPTCHA = "always"\nLEFTBOOK_FLOOD = "off"\n')
    for key in ("LEFTBOOK_CAPTCHA", "LEFTBOOK_FLOOD"):
        settings.pop(key)
    monkeypatch.setenv("LEFTBOOK_FLOOD", "on")
    app = create_app(settings)
    assert app.config["SETTINGS"].captcha == "always"
    assert app.config["SETTINGS"].flood is True
    assert app.config["SETTINGS"].database_url == f"sqlite:///{data.resolve()}/leftbook.db"


def test_broken_config_toml_names_the_file(settings):
    data = Path(settings["LEFTBOOK_DATA_DIR"])
    data.mkdir(parents=True)
    (data / "config.toml").write_text("LEFTBOOK_TOR = \n")
    with pytest.raises(ConfigError, match=r"config\.toml"):
        create_app(settings)


def test_a_second_writer_never_replaces_an_existing_secret(tmp_path):
    path = tmp_path / "secret_key"
    write_secret(path)
    first = path.read_bytes()
    write_secret(path)
    assert path.read_bytes() == first
    write_secret(path, replace=True)
    assert path.read_bytes() != first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]
