"""Settings: one frozen, typed object from defaults, `<data dir>/config.toml`, the environment
and (in tests) the app's test configuration. Every bad value stops start-up with one line
naming the variable and the value; every good value gives its typed field."""

import base64
import dataclasses
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from leftbook import create_app
from leftbook.settings import (
    CHECKS,
    PREFIX,
    ConfigError,
    Settings,
    default_boards_dir,
    load_settings,
)

CHECKOUT = Path(__file__).resolve().parent.parent
CLI_TIMEOUT = 60


def onion_name(seed: str) -> str:
    """A well-formed v3 onion name (base32 of key, checksum, version 3)."""
    public = hashlib.sha256(seed.encode()).digest()
    checksum = hashlib.sha3_256(b".onion checksum" + public + b"\x03").digest()[:2]
    return base64.b32encode(public + checksum + b"\x03").decode().lower() + ".onion"


GOOD_ONION = onion_name("leftbook")
# One character changed: still 56 base32 letters, but the checksum no longer matches.
MISTYPED_ONION = GOOD_ONION[:10] + ("a" if GOOD_ONION[10] != "a" else "b") + GOOD_ONION[11:]


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def load(data_dir):
    """`load(env, overrides)`: settings from exactly this environment, on a tmp data dir."""

    def run(environ: dict | None = None, overrides: dict | None = None) -> Settings:
        return load_settings(overrides, {"LEFTBOOK_DATA_DIR": str(data_dir), **(environ or {})})

    return run


def write_config(data_dir: Path, text: str) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "config.toml"
    path.write_text(text)
    return path


def assert_names(error: ConfigError | str, name: str, value: str) -> None:
    """The refusal is one line naming the variable and the value as written."""
    message = str(error)
    assert "\n" not in message.strip(), message
    assert name in message, f"{name!r} not named in: {message}"
    assert repr(value) in message, f"{value!r} not named in: {message}"


# ---- defaults and good values ----------------------------------------------------------


def test_defaults(load, data_dir):
    settings = load()
    assert settings.data_dir == data_dir.resolve()
    assert settings.database_url == f"sqlite:///{data_dir.resolve()}/leftbook.db"
    assert settings.boards_dir == default_boards_dir().resolve()
    assert settings.boards_dir.is_dir()
    assert settings.tor == "auto"
    assert settings.tor_password is None
    assert settings.onion_host is None
    assert settings.onionbalance_master is None
    assert settings.captcha == "auto"
    assert settings.flood is True
    assert settings.keep_filenames is False
    assert settings.prune_interval == 300.0
    assert isinstance(settings.prune_interval, float)


def test_default_data_dir_is_instance_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings({}, {})
    assert settings.data_dir == (tmp_path / "instance").resolve()
    assert settings.database_url == f"sqlite:///{(tmp_path / 'instance').resolve()}/leftbook.db"


def test_default_boards_dir_is_local_boards_else_the_shipped_ones(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shipped = default_boards_dir()
    assert shipped.is_dir() and any(shipped.glob("*.toml"))
    (tmp_path / "boards").mkdir()
    assert default_boards_dir().resolve() == (tmp_path / "boards").resolve()
    assert load_settings({}, {}).boards_dir == (tmp_path / "boards").resolve()


@pytest.mark.parametrize(("name", "value", "field", "expected"), [
    ("LEFTBOOK_FLOOD", "off", "flood", False),
    ("LEFTBOOK_FLOOD", "on", "flood", True),
    ("LEFTBOOK_KEEP_FILENAMES", "on", "keep_filenames", True),
    ("LEFTBOOK_KEEP_FILENAMES", "off", "keep_filenames", False),
    ("LEFTBOOK_CAPTCHA", "off", "captcha", "off"),
    ("LEFTBOOK_CAPTCHA", "always", "captcha", "always"),
    ("LEFTBOOK_CAPTCHA", "auto", "captcha", "auto"),
    ("LEFTBOOK_TOR", "auto", "tor", "auto"),
    ("LEFTBOOK_TOR", "launch", "tor", "launch"),
    ("LEFTBOOK_TOR", "off", "tor", "off"),
    ("LEFTBOOK_TOR", "control:127.0.0.1:9051", "tor", "control:127.0.0.1:9051"),
    ("LEFTBOOK_TOR", "socket:/run/tor/control", "tor", "socket:/run/tor/control"),
    ("LEFTBOOK_TOR_PASSWORD", "a long password", "tor_password", "a long password"),
    ("LEFTBOOK_PRUNE_INTERVAL", "60", "prune_interval", 60.0),
    ("LEFTBOOK_PRUNE_INTERVAL", "1", "prune_interval", 1.0),
    ("LEFTBOOK_PRUNE_INTERVAL", "3600", "prune_interval", 3600.0),
    ("LEFTBOOK_PRUNE_INTERVAL", "90.5", "prune_interval", 90.5),
    ("LEFTBOOK_PRUNE_INTERVAL", " 120 ", "prune_interval", 120.0),
    ("LEFTBOOK_ONION_HOST", GOOD_ONION, "onion_host", GOOD_ONION),
    ("LEFTBOOK_ONION_HOST", GOOD_ONION.upper(), "onion_host", GOOD_ONION),
    ("LEFTBOOK_ONIONBALANCE_MASTER", GOOD_ONION, "onionbalance_master", GOOD_ONION),
    ("LEFTBOOK_ONIONBALANCE_MASTER", GOOD_ONION.removesuffix(".onion"),
     "onionbalance_master", GOOD_ONION),
    ("LEFTBOOK_DATABASE_URL", "postgresql://leftbook@127.0.0.1:5432/leftbook",
     "database_url", "postgresql://leftbook@127.0.0.1:5432/leftbook"),
    ("LEFTBOOK_DATABASE_URL", "postgresql://leftbook:pw@db.internal/leftbook?sslmode=require",
     "database_url", "postgresql://leftbook:pw@db.internal/leftbook?sslmode=require"),
    ("LEFTBOOK_DATABASE_URL", "postgres://leftbook@localhost/leftbook",
     "database_url", "postgres://leftbook@localhost/leftbook"),
    ("LEFTBOOK_DATABASE_URL", "postgresql:///leftbook", "database_url",
     "postgresql:///leftbook"),
    ("LEFTBOOK_DATABASE_URL", "sqlite:////var/lib/leftbook/site.db", "database_url",
     "sqlite:////var/lib/leftbook/site.db"),
])
def test_each_accepted_value_gives_its_typed_field(load, name, value, field, expected):
    settings = load({name: value})
    assert getattr(settings, field) == expected
    assert type(getattr(settings, field)) is type(expected)


def test_boards_dir_setting(load, tmp_path):
    boards = tmp_path / "my-boards"
    boards.mkdir()
    assert load({"LEFTBOOK_BOARDS_DIR": str(boards)}).boards_dir == boards.resolve()


def test_database_url_follows_the_data_dir(tmp_path):
    settings = load_settings({}, {"LEFTBOOK_DATA_DIR": str(tmp_path / "elsewhere")})
    assert settings.database_url == f"sqlite:///{(tmp_path / 'elsewhere').resolve()}/leftbook.db"


def test_settings_are_frozen(load):
    settings = load()
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.captcha = "off"
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.flood = False
    assert settings.captcha == "auto" and settings.flood is True


def test_every_setting_is_a_field_and_every_field_a_setting():
    fields = {f.name for f in dataclasses.fields(Settings)}
    assert {field for field, _check in CHECKS.values()} == fields
    assert all(name.startswith(PREFIX) for name in CHECKS)
    assert all(name == PREFIX + field.upper() for name, (field, _check) in CHECKS.items())


def test_every_setting_is_documented_in_the_readme():
    readme = (CHECKOUT / "README.md").read_text()
    missing = [name for name in CHECKS if f"`{name}`" not in readme]
    assert not missing, f"README.md does not document {', '.join(missing)}"


# ---- where values come from -------------------------------------------------------------


def test_precedence_overrides_then_environment_then_config_toml_then_defaults(load, data_dir):
    write_config(data_dir, 'LEFTBOOK_CAPTCHA = "off"\n'
                           'LEFTBOOK_FLOOD = "off"\n'
                           'LEFTBOOK_KEEP_FILENAMES = "on"\n')
    settings = load({"LEFTBOOK_CAPTCHA": "auto", "LEFTBOOK_FLOOD": "on"},
                    {"LEFTBOOK_CAPTCHA": "always"})
    assert settings.captcha == "always"  # test override beats environment and config.toml
    assert settings.flood is True  # environment beats config.toml
    assert settings.keep_filenames is True  # config.toml beats the default
    assert settings.prune_interval == 300.0  # nothing set: the default


def test_override_of_none_means_not_set(load):
    settings = load({"LEFTBOOK_CAPTCHA": "always"}, {"LEFTBOOK_CAPTCHA": None})
    assert settings.captcha == "always"


def test_override_data_dir_chooses_the_config_toml(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    write_config(first, 'LEFTBOOK_CAPTCHA = "off"\n')
    write_config(second, 'LEFTBOOK_CAPTCHA = "always"\n')
    settings = load_settings({"LEFTBOOK_DATA_DIR": str(second)},
                             {"LEFTBOOK_DATA_DIR": str(first)})
    assert settings.data_dir == second.resolve()
    assert settings.captcha == "always"


def test_config_toml_takes_toml_numbers(load, data_dir):
    write_config(data_dir, "LEFTBOOK_PRUNE_INTERVAL = 60\n")
    assert load().prune_interval == 60.0
    write_config(data_dir, "LEFTBOOK_PRUNE_INTERVAL = 90.5\n")
    assert load().prune_interval == 90.5


def test_other_programs_variables_and_the_test_suites_own_are_ignored(load):
    settings = load({
        "LEFTBOOK_TEST_DATABASE_URL": "postgresql://postgres@localhost/leftbook_test",
        "LEFTBOOK_TEST_ANYTHING": "whatever",
        "LEFTBOOKISH": "x",
        "HOME": "/home/someone",
        "CAPTCHA": "alwyas",
    })
    assert settings.captcha == "auto"
    assert settings.database_url.startswith("sqlite:///")


def test_flask_keys_in_the_test_configuration_are_not_settings(load):
    settings = load({}, {"TESTING": True, "SECRET_KEY": "x" * 40, "LEFTBOOK_FLOOD": "off"})
    assert settings.flood is False


# ---- bad values ---------------------------------------------------------------------------


BAD_VALUES = [
    # a value outside the accepted set
    ("LEFTBOOK_CAPTCHA", "alwyas"),
    ("LEFTBOOK_CAPTCHA", "ALWAYS"),
    ("LEFTBOOK_CAPTCHA", ""),
    ("LEFTBOOK_FLOOD", "maybe"),
    ("LEFTBOOK_FLOOD", "true"),
    ("LEFTBOOK_KEEP_FILENAMES", "yes"),
    ("LEFTBOOK_TOR", "bogus"),
    ("LEFTBOOK_TOR", "control:127.0.0.1"),
    ("LEFTBOOK_TOR", "control:127.0.0.1:99999"),
    ("LEFTBOOK_TOR", "socket:"),
    # a number out of range, or not a number
    ("LEFTBOOK_PRUNE_INTERVAL", "1e-9"),
    ("LEFTBOOK_PRUNE_INTERVAL", "1e300"),
    ("LEFTBOOK_PRUNE_INTERVAL", "0"),
    ("LEFTBOOK_PRUNE_INTERVAL", "-5"),
    ("LEFTBOOK_PRUNE_INTERVAL", "soon"),
    ("LEFTBOOK_PRUNE_INTERVAL", "inf"),
    ("LEFTBOOK_PRUNE_INTERVAL", "nan"),
    ("LEFTBOOK_PRUNE_INTERVAL", "60s"),
    ("LEFTBOOK_PRUNE_INTERVAL", ""),
    # an unsupported database URL
    ("LEFTBOOK_DATABASE_URL", "mysql://leftbook@localhost/leftbook"),
    ("LEFTBOOK_DATABASE_URL", "sqlite:///:memory:"),
    ("LEFTBOOK_DATABASE_URL", "sqlite://"),
    ("LEFTBOOK_DATABASE_URL", "sqlite:///"),
    ("LEFTBOOK_DATABASE_URL", "sqlite:///:memory:#x"),
    ("LEFTBOOK_DATABASE_URL", "sqlite:///file:x?mode=memory&uri=true"),
    ("LEFTBOOK_DATABASE_URL", "postgresql://localhost"),
    ("LEFTBOOK_DATABASE_URL", "postgresql://leftbook@localhost:port/leftbook"),
    ("LEFTBOOK_DATABASE_URL", "leftbook.db"),
    ("LEFTBOOK_DATABASE_URL", ""),
    # a bad onion name
    ("LEFTBOOK_ONION_HOST", "abc.onion"),
    ("LEFTBOOK_ONION_HOST", "example.com"),
    ("LEFTBOOK_ONION_HOST", MISTYPED_ONION),
    ("LEFTBOOK_ONION_HOST", ""),
    ("LEFTBOOK_ONIONBALANCE_MASTER", "abc"),
    ("LEFTBOOK_ONIONBALANCE_MASTER", MISTYPED_ONION),
    # paths
    ("LEFTBOOK_BOARDS_DIR", "/nonexistent/leftbook/boards"),
    ("LEFTBOOK_BOARDS_DIR", ""),
    ("LEFTBOOK_DATA_DIR", ""),
]


@pytest.mark.parametrize(("name", "value"), BAD_VALUES)
def test_a_bad_value_names_the_variable_and_the_value(load, name, value):
    with pytest.raises(ConfigError) as refused:
        load({name: value})
    assert_names(refused.value, name, value)
    assert "accepted" in str(refused.value)


@pytest.mark.parametrize(("name", "value"),
                         [(n, v) for n, v in BAD_VALUES if n != "LEFTBOOK_DATA_DIR"])
def test_a_bad_value_in_config_toml_is_refused_too(load, data_dir, name, value):
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    write_config(data_dir, f'{name} = "{escaped}"\n')
    with pytest.raises(ConfigError) as refused:
        load()
    assert_names(refused.value, name, value)


@pytest.mark.parametrize(("name", "value"), BAD_VALUES[:4])
def test_a_bad_test_override_is_refused_too(load, name, value):
    with pytest.raises(ConfigError) as refused:
        load({}, {name: value})
    assert_names(refused.value, name, value)


def test_a_data_dir_that_is_a_file_is_refused(load, tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    with pytest.raises(ConfigError) as refused:
        load({"LEFTBOOK_DATA_DIR": str(a_file)})
    assert_names(refused.value, "LEFTBOOK_DATA_DIR", str(a_file))


@pytest.mark.parametrize("value", [True, False])
def test_a_toml_boolean_is_not_on_or_off(load, data_dir, value):
    write_config(data_dir, f"LEFTBOOK_FLOOD = {str(value).lower()}\n")
    with pytest.raises(ConfigError, match=r"LEFTBOOK_FLOOD.*on, off"):
        load()


@pytest.mark.parametrize("text", ["LEFTBOOK_PRUNE_INTERVAL = inf\n",
                                  "LEFTBOOK_PRUNE_INTERVAL = nan\n",
                                  "LEFTBOOK_PRUNE_INTERVAL = 0\n",
                                  "LEFTBOOK_PRUNE_INTERVAL = 1e300\n"])
def test_toml_numbers_out_of_range_are_refused(load, data_dir, text):
    write_config(data_dir, text)
    with pytest.raises(ConfigError, match="LEFTBOOK_PRUNE_INTERVAL"):
        load()


def test_a_misspelt_name_in_the_environment_is_refused(load):
    with pytest.raises(ConfigError) as refused:
        load({"LEFTBOOK_CAPTHCA": "always"})
    assert_names(refused.value, "LEFTBOOK_CAPTHCA", "always")
    message = str(refused.value)
    assert "environment" in message
    assert "did you mean LEFTBOOK_CAPTCHA?" in message


def test_a_misspelt_name_in_config_toml_is_refused(load, data_dir):
    path = write_config(data_dir, 'LEFTBOOK_CAPTHCA = "always"\n')
    with pytest.raises(ConfigError) as refused:
        load()
    assert_names(refused.value, "LEFTBOOK_CAPTHCA", "always")
    assert str(path) in str(refused.value)
    assert "LEFTBOOK_CAPTCHA" in str(refused.value)


@pytest.mark.parametrize("key", ["leftbook_captcha", "CAPTCHA", "captcha"])
def test_config_toml_keys_are_all_settings(load, data_dir, key):
    """In config.toml every key is meant for Leftbook: a wrong one is never skipped."""
    write_config(data_dir, f'{key} = "always"\n')
    with pytest.raises(ConfigError) as refused:
        load()
    assert_names(refused.value, key, "always")


def test_a_table_in_config_toml_is_refused(load, data_dir):
    write_config(data_dir, '[leftbook]\nLEFTBOOK_CAPTCHA = "always"\n')
    with pytest.raises(ConfigError, match="leftbook"):
        load()


def test_config_toml_cannot_move_the_data_dir(load, data_dir, tmp_path):
    write_config(data_dir, f'LEFTBOOK_DATA_DIR = "{tmp_path / "other"}"\n')
    with pytest.raises(ConfigError, match="LEFTBOOK_DATA_DIR"):
        load()


def test_broken_config_toml_names_the_file(load, data_dir):
    path = write_config(data_dir, "LEFTBOOK_TOR = \n")
    with pytest.raises(ConfigError, match=r"config\.toml") as refused:
        load()
    assert str(path) in str(refused.value)


def test_a_misspelt_secret_is_not_printed(load):
    with pytest.raises(ConfigError) as refused:
        load({"LEFTBOOK_TOR_PASSWROD": "hunter2-correct-horse"})
    assert "LEFTBOOK_TOR_PASSWROD" in str(refused.value)
    assert "hunter2" not in str(refused.value)


def test_a_refused_database_url_does_not_print_its_password(load):
    with pytest.raises(ConfigError) as refused:
        load({"LEFTBOOK_DATABASE_URL": "postgresql://leftbook:hunter2@db:nope/leftbook"})
    message = str(refused.value)
    assert "LEFTBOOK_DATABASE_URL" in message and "db:nope" in message
    assert "hunter2" not in message


# ---- end to end: create_app ------------------------------------------------------------


def test_create_app_carries_the_settings(settings):
    app = create_app({**settings, "LEFTBOOK_PRUNE_INTERVAL": "60",
                      "LEFTBOOK_ONION_HOST": GOOD_ONION})
    built = app.config["SETTINGS"]
    assert isinstance(built, Settings)
    assert built.flood is False  # the fixture's LEFTBOOK_FLOOD=off
    assert built.captcha == "off"
    assert built.tor == "off"
    assert built.prune_interval == 60.0
    assert built.onion_host == GOOD_ONION
    assert app.config["ONION_HOST"] == GOOD_ONION
    assert built.data_dir == Path(settings["LEFTBOOK_DATA_DIR"]).resolve()
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.flood = True


def test_create_app_reads_config_toml_and_environment(settings, monkeypatch):
    data = Path(settings["LEFTBOOK_DATA_DIR"])
    write_config(data, 'LEFTBOOK_CAPTCHA = "always"\nLEFTBOOK_KEEP_FILENAMES = "on"\n'
                       'LEFTBOOK_PRUNE_INTERVAL = 30\n')
    settings.pop("LEFTBOOK_CAPTCHA")
    monkeypatch.setenv("LEFTBOOK_PRUNE_INTERVAL", "45")
    monkeypatch.setenv("LEFTBOOK_TEST_SOMETHING", "ignored")
    built = create_app(settings).config["SETTINGS"]
    assert built.captcha == "always"
    assert built.keep_filenames is True
    assert built.prune_interval == 45.0


def assert_nothing_started(settings: dict) -> None:
    """A refused setting stops start-up before the data dir is made or written."""
    assert not Path(settings["LEFTBOOK_DATA_DIR"]).exists()


@pytest.mark.parametrize(("name", "value"), [
    ("LEFTBOOK_CAPTCHA", "alwyas"),
    ("LEFTBOOK_FLOOD", "maybe"),
    ("LEFTBOOK_TOR", "bogus"),
    ("LEFTBOOK_PRUNE_INTERVAL", "1e-9"),
    ("LEFTBOOK_PRUNE_INTERVAL", "1e300"),
    ("LEFTBOOK_DATABASE_URL", "mysql://leftbook@localhost/leftbook"),
    ("LEFTBOOK_DATABASE_URL", "sqlite:///:memory:"),
    ("LEFTBOOK_ONIONBALANCE_MASTER", "abc.onion"),
])
def test_create_app_refuses_a_bad_environment_value(settings, monkeypatch, name, value):
    settings.pop(name, None)
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as refused:
        create_app(settings)
    assert_names(refused.value, name, value)
    assert_nothing_started(settings)


def test_create_app_refuses_a_bad_test_setting(settings):
    with pytest.raises(ConfigError) as refused:
        create_app({**settings, "LEFTBOOK_CAPTCHA": "alwyas"})
    assert_names(refused.value, "LEFTBOOK_CAPTCHA", "alwyas")
    assert_nothing_started(settings)


def test_create_app_refuses_a_misspelt_environment_variable(settings, monkeypatch):
    monkeypatch.setenv("LEFTBOOK_CAPTHCA", "always")
    with pytest.raises(ConfigError) as refused:
        create_app(settings)
    assert_names(refused.value, "LEFTBOOK_CAPTHCA", "always")
    assert_nothing_started(settings)


def test_create_app_refuses_a_misspelt_name_in_config_toml(settings):
    write_config(Path(settings["LEFTBOOK_DATA_DIR"]), 'LEFTBOOK_CAPTHCA = "always"\n')
    with pytest.raises(ConfigError) as refused:
        create_app(settings)
    assert_names(refused.value, "LEFTBOOK_CAPTHCA", "always")


# ---- end to end: the `leftbook` command ---------------------------------------------------


def leftbook_command() -> list[str]:
    script = Path(sys.executable).with_name("leftbook")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from leftbook.cli import main; main()"]


def run_leftbook(tmp_path: Path, args: list[str], **env: str) -> subprocess.CompletedProcess:
    """`leftbook ARGS` in a clean environment (only `env` among LEFTBOOK_*), run from an empty
    directory so that no ./boards or ./instance of the checkout is used."""
    workdir = tmp_path / "cwd"
    workdir.mkdir(exist_ok=True)
    base = {k: v for k, v in os.environ.items() if not k.startswith(PREFIX)}
    base.update({"HOME": str(tmp_path), "LEFTBOOK_TOR": "off",
                 "LEFTBOOK_DATA_DIR": str(tmp_path / "data")})
    base.update(env)
    return subprocess.run([*leftbook_command(), *args], cwd=workdir, env=base,
                          capture_output=True, text=True, timeout=CLI_TIMEOUT, check=False)


def assert_refused_in_one_line(result: subprocess.CompletedProcess, name: str,
                               value: str) -> None:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert_names(lines[0], name, value)
    assert result.stdout == ""


CLI_BAD = [
    ("LEFTBOOK_CAPTHCA", "always"),
    ("LEFTBOOK_CAPTCHA", "alwyas"),
    ("LEFTBOOK_FLOOD", "maybe"),
    ("LEFTBOOK_TOR", "bogus"),
    ("LEFTBOOK_PRUNE_INTERVAL", "1e-9"),
    ("LEFTBOOK_PRUNE_INTERVAL", "1e300"),
    ("LEFTBOOK_PRUNE_INTERVAL", "0"),
    ("LEFTBOOK_PRUNE_INTERVAL", "-5"),
    ("LEFTBOOK_PRUNE_INTERVAL", "soon"),
    ("LEFTBOOK_PRUNE_INTERVAL", "inf"),
    ("LEFTBOOK_PRUNE_INTERVAL", "nan"),
    ("LEFTBOOK_DATABASE_URL", "mysql://leftbook@localhost/leftbook"),
    ("LEFTBOOK_DATABASE_URL", "sqlite:///:memory:"),
    ("LEFTBOOK_DATABASE_URL", "sqlite://"),
    ("LEFTBOOK_ONION_HOST", "abc.onion"),
    ("LEFTBOOK_ONIONBALANCE_MASTER", MISTYPED_ONION),
    ("LEFTBOOK_BOARDS_DIR", "/nonexistent/leftbook/boards"),
]


@pytest.mark.parametrize(("name", "value"), CLI_BAD)
def test_leftbook_prune_stops_on_a_bad_setting_with_one_line(tmp_path, name, value):
    result = run_leftbook(tmp_path, ["prune", "--dry-run"], **{name: value})
    assert_refused_in_one_line(result, name, value)
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(("name", "value"), CLI_BAD)
def test_leftbook_status_stops_on_a_bad_setting_with_one_line(tmp_path, name, value):
    result = run_leftbook(tmp_path, ["status", "--no-tor"], **{name: value})
    assert_refused_in_one_line(result, name, value)
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(("name", "value"), [("LEFTBOOK_CAPTHCA", "always"),
                                             ("LEFTBOOK_TOR", "bogus")])
def test_leftbook_onion_address_stops_on_a_bad_setting_with_one_line(tmp_path, name, value):
    result = run_leftbook(tmp_path, ["onion", "address"], **{name: value})
    assert_refused_in_one_line(result, name, value)


def test_leftbook_stops_on_a_misspelt_name_in_config_toml(tmp_path):
    path = write_config(tmp_path / "data", 'LEFTBOOK_CAPTHCA = "always"\n')
    result = run_leftbook(tmp_path, ["prune", "--dry-run"])
    assert_refused_in_one_line(result, "LEFTBOOK_CAPTHCA", "always")
    assert str(path) in result.stderr


def test_leftbook_stops_on_a_data_dir_that_is_a_file(tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    result = run_leftbook(tmp_path, ["prune", "--dry-run"], LEFTBOOK_DATA_DIR=str(a_file))
    assert_refused_in_one_line(result, "LEFTBOOK_DATA_DIR", str(a_file))


def test_leftbook_runs_with_good_settings(tmp_path):
    result = run_leftbook(tmp_path, ["prune", "--dry-run"], LEFTBOOK_CAPTCHA="always",
                          LEFTBOOK_FLOOD="off", LEFTBOOK_PRUNE_INTERVAL="60",
                          LEFTBOOK_TEST_WHATEVER="ignored")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("would prune:")
    assert "Traceback" not in result.stderr
