"""Board word filters: `reject` refuses without naming the pattern, `replace` rewrites first."""

import pytest

from leftbook import create_app
from leftbook.abuse.filters import REJECT_MESSAGE, apply_filters
from leftbook.database.models import Post
from leftbook.refusal import Refusal

BOARD_FILE = '''
slug = "test"
title = "Test"
description = "A board with filters."
rules = ["Be nice."]
filters = [
  { pattern = "buy\\\\s+pills", action = "reject" },
  { pattern = "\\\\bsecretbadword\\\\b", action = "reject" },
  { pattern = "capitalism", action = "replace", replacement = "late capitalism" },
  { pattern = "spam(mer)?", action = "replace", replacement = "[filtered]" },
]
'''


@pytest.fixture
def app(settings, tmp_path):
    boards = tmp_path / "boards"
    boards.mkdir()
    (boards / "test.toml").write_text(BOARD_FILE)
    return create_app({**settings, "LEFTBOOK_BOARDS_DIR": str(boards)})


def test_replace_filters_rewrite_case_insensitively():
    filters = ({"pattern": "foo", "action": "replace", "replacement": "bar"},)
    assert apply_filters(filters, "Foo and FOO and food") == "bar and bar and bard"


def test_replacement_is_literal_text_not_a_backreference():
    filters = ({"pattern": "(x)", "action": "replace", "replacement": r"\1\g<0>"},)
    assert apply_filters(filters, "x") == r"\1\g<0>"


def test_a_replacement_cannot_produce_a_rejected_word():
    filters = ({"pattern": "bad", "action": "reject", "replacement": ""},
               {"pattern": "b-a-d", "action": "replace", "replacement": "bad"})
    with pytest.raises(Refusal, match=REJECT_MESSAGE):
        apply_filters(filters, "b-a-d")


def test_rejected_post_is_refused_without_naming_the_pattern(app, post):
    response = post("test", body="Come BUY   pills now")
    assert response.status_code == 400
    message = response.get_json()["error"]
    assert "filtered word" in message
    assert "pills" not in message and "buy" not in message.lower()
    with app.app_context():
        assert Post.select().count() == 0


def test_subject_is_filtered_too(app, post):
    response = post("test", body="fine", subject="a secretbadword here")
    assert response.status_code == 400


def test_replacements_are_stored_and_rendered(app, post, client):
    response = post("test", body="Down with capitalism, spammers!")
    assert response.status_code == 200
    with app.app_context():
        stored = Post.get(Post.no == response.get_json()["no"])
    assert stored.body == "Down with late capitalism, [filtered]s!"
    assert "late capitalism" in stored.html
    page = client.get(f"/test/res/{stored.no}.html").get_data(as_text=True)
    assert "[filtered]s!" in page and "spammers" not in page
