"""Boards come from TOML files; a malformed one stops start-up naming the file and the field."""

from pathlib import Path

import pytest

from leftbook import create_app
from leftbook.boards import BoardFileError, load_boards

SHIPPED = Path(__file__).resolve().parent.parent / "boards"

MINIMAL = """
slug = "{slug}"
title = "Test"
description = "A test board"
rules = ["Be kind."]
"""


def write_board(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(exist_ok=True)
    path = directory / name
    path.write_text(text)
    return path


def test_shipped_boards_are_the_five_of_the_site():
    boards = load_boards(SHIPPED)
    assert list(boards) == ["theory", "soc", "orgs", "events", "meta"]
    assert boards["theory"].title == "Theory & Science"
    assert boards["orgs"].title == "Organisations, Unions & Projects"
    assert all(board.rules for board in boards.values())
    assert boards["theory"].ids and boards["soc"].ids and boards["meta"].ids
    assert not boards["orgs"].ids and not boards["events"].ids


def test_limits_and_durations_are_read(tmp_path):
    write_board(tmp_path, "a.toml", MINIMAL.format(slug="a") + """
[limits]
pages = 3
threads_per_page = 4
thread_ttl = "12h"
delete_window = 600
[files]
thread = "required"
""")
    board = load_boards(tmp_path)["a"]
    assert (board.pages, board.threads_per_page, board.capacity) == (3, 4, 12)
    assert board.thread_ttl == 12 * 3600 and board.delete_window == 600
    assert board.thread_file == "required"


@pytest.mark.parametrize("extra, field", [
    ("[limits]\npages = 0\n", "limits.pages"),
    ("[limits]\npages = \"ten\"\n", "limits.pages"),
    ("[limits]\nthread_ttl = \"forever\"\n", "limits.thread_ttl"),
    ("ids = \"yes\"\n", "ids"),
    ("colour = \"red\"\n", "colour"),
    ("[files]\nthread = \"sometimes\"\n", "files.thread"),
    ("filters = [{pattern = \"(\"}]\n", "filters"),
])
def test_malformed_field_is_named(tmp_path, extra, field):
    text = MINIMAL.format(slug="a")
    text = extra + text if not extra.startswith("[") else text + extra
    path = write_board(tmp_path, "a.toml", text)
    with pytest.raises(BoardFileError) as caught:
        load_boards(tmp_path)
    assert str(path) in str(caught.value)
    assert f"'{field}'" in str(caught.value)


@pytest.mark.parametrize("text, field", [
    ('slug = "a"\ntitle = "x"\ndescription = "y"\n', "rules"),
    (MINIMAL.format(slug="Bad Slug"), "slug"),
    (MINIMAL.format(slug="janitor"), "slug"),
    ("slug = \"a\"\ntitle = [", None),
])
def test_missing_or_invalid_values_stop_loading(tmp_path, text, field):
    path = write_board(tmp_path, "a.toml", text)
    with pytest.raises(BoardFileError) as caught:
        load_boards(tmp_path)
    assert str(path) in str(caught.value)
    if field:
        assert f"'{field}'" in str(caught.value)


def test_duplicate_slug_is_refused(tmp_path):
    write_board(tmp_path, "a.toml", MINIMAL.format(slug="a"))
    write_board(tmp_path, "b.toml", MINIMAL.format(slug="a"))
    with pytest.raises(BoardFileError, match=r"b\.toml"):
        load_boards(tmp_path)


def test_malformed_board_file_stops_app_start(settings, tmp_path):
    boards = tmp_path / "boards"
    write_board(boards, "x.toml", MINIMAL.format(slug="x") + "[limits]\nbump_limit = -1\n")
    with pytest.raises(BoardFileError, match=r"x\.toml: field 'limits.bump_limit'"):
        create_app({**settings, "LEFTBOOK_BOARDS_DIR": str(boards)})


def test_operator_adds_a_board_by_adding_a_file(settings, tmp_path):
    boards = tmp_path / "boards"
    write_board(boards, "x.toml", MINIMAL.format(slug="x"))
    client = create_app({**settings, "LEFTBOOK_BOARDS_DIR": str(boards)}).test_client()
    assert client.get("/x/").status_code == 200
    assert client.get("/soc/").status_code == 404
