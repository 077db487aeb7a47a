"""Per-thread poster IDs, their colours, and deletion-password hashes."""

import re
import time

import pytest

from leftbook.posting.identity import (
    ID_HUE_STEP,
    check_password,
    contrast_with_white,
    hash_password,
    id_colour,
    id_colour_class,
    id_colour_stylesheet,
    id_hue,
    is_poster_token,
    new_poster_token,
    new_thread_salt,
    thread_poster_id,
)

ID_RE = re.compile(r"[A-Za-z0-9_-]{8}")
HSL_RE = re.compile(r"hsl\((\d+), (\d+)%, (\d+)%\)")


def test_thread_salts_and_poster_tokens_are_random():
    salts = {new_thread_salt() for _ in range(50)}
    tokens = {new_poster_token() for _ in range(50)}
    assert len(salts) == len(tokens) == 50
    assert all(len(salt) == 32 for salt in salts)
    assert all(is_poster_token(token) for token in tokens)


@pytest.mark.parametrize("value", ["", "short", "x" * 43 + "y", "a" * 42 + "/", "a" * 42 + "\n"])
def test_is_poster_token_rejects_other_shapes(value):
    assert not is_poster_token(value)


def test_poster_id_is_stable_for_one_thread_and_browser():
    salt, token = new_thread_salt(), new_poster_token()
    first = thread_poster_id(salt, token)
    assert ID_RE.fullmatch(first)
    assert thread_poster_id(bytes(salt), str(token)) == first


def test_poster_id_differs_across_threads_and_browsers():
    token = new_poster_token()
    across_threads = {thread_poster_id(new_thread_salt(), token) for _ in range(200)}
    salt = new_thread_salt()
    across_browsers = {thread_poster_id(salt, new_poster_token()) for _ in range(200)}
    assert len(across_threads) == 200
    assert len(across_browsers) == 200


def test_poster_id_reveals_neither_token_nor_salt():
    salt, token = new_thread_salt(), new_poster_token()
    poster_id = thread_poster_id(salt, token)
    assert poster_id not in token
    assert poster_id.encode() not in salt


def test_poster_id_refuses_empty_inputs():
    with pytest.raises(ValueError):
        thread_poster_id(b"", new_poster_token())
    with pytest.raises(ValueError):
        thread_poster_id(new_thread_salt(), "")


def test_id_colour_is_a_css_colour_readable_under_white_text():
    for _ in range(300):
        poster_id = thread_poster_id(new_thread_salt(), new_poster_token())
        match = HSL_RE.fullmatch(id_colour(poster_id))
        assert match, id_colour(poster_id)
        hue, saturation, lightness = map(int, match.groups())
        assert hue == id_hue(poster_id) and hue % ID_HUE_STEP == 0 and 0 <= hue < 360
        assert contrast_with_white(hue, saturation, lightness) >= 4.5
        assert id_colour(poster_id) == id_colour(poster_id)


def test_id_colours_spread_over_many_hues():
    hues = {id_hue(thread_poster_id(new_thread_salt(), "token")) for _ in range(400)}
    assert len(hues) >= 30


def test_stylesheet_defines_every_id_colour_class():
    css = id_colour_stylesheet()
    for _ in range(100):
        poster_id = thread_poster_id(new_thread_salt(), new_poster_token())
        rule = f".{id_colour_class(poster_id)}{{background:{id_colour(poster_id)};color:#fff}}"
        assert rule in css


def test_password_hash_round_trip():
    stored = hash_password("correct horse")
    assert check_password("correct horse", stored)
    assert not check_password("correct horse ", stored)
    assert not check_password("wrong", stored)
    assert not check_password("", stored)


def test_password_hash_hides_the_password_and_is_salted():
    first, second = hash_password("hunter2"), hash_password("hunter2")
    assert "hunter2" not in first
    assert first != second
    assert first.startswith("scrypt$") and second.startswith("scrypt$")
    assert check_password("hunter2", second)


def test_empty_password_cannot_be_hashed():
    with pytest.raises(ValueError):
        hash_password("")


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "hunter2",
        "scrypt$14$8$1$abc",
        "scrypt$x$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAA",
        "scrypt$30$8$1$AAAAAAAAAAAAAAAAAAAAAA$" + "A" * 43,
        "scrypt$14$8$1$AAAAAAAAAAAAAAAAAAAAAA$tooshort",
        "scrypt$14$8$1$A$" + "A" * 43,
        "bcrypt$14$8$1$AAAAAAAAAAAAAAAAAAAAAA$" + "A" * 43,
        None,
    ],
)
def test_malformed_stored_values_never_match(stored):
    assert check_password("hunter2", stored) is False


def test_hashing_takes_tens_of_milliseconds():
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        hash_password("hunter2")
        timings.append(time.perf_counter() - start)
    assert 0.005 < min(timings) < 0.5


def test_site_passwords_are_signed_and_hashed_fast():
    from leftbook.posting.identity import (
        check_password,
        hash_deletion_password,
        is_site_password,
        new_site_password,
    )

    key, other = b"k" * 32, b"o" * 32
    made = new_site_password(key)
    assert is_site_password(key, made) and not is_site_password(other, made)
    assert not is_site_password(key, made[:-1] + ("x" if made[-1] != "x" else "y"))
    assert len(made) == 48 and made != new_site_password(key)
    fast = hash_deletion_password(made, key)
    assert fast.startswith("sha256$") and check_password(made, fast)
    assert not check_password(made + "x", fast) and not check_password("", fast)
    assert hash_deletion_password(made, other).startswith("scrypt$")
    assert hash_deletion_password("hunter22", key).startswith("scrypt$")
    assert not check_password(made, "sha256$bad$bad")
