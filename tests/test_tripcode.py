"""Tripcodes: published 4chan vectors, a crypt(3) oracle on 3.11, secure trips, name parsing."""

import logging
import random
import re
import time
import warnings

import pytest

from leftbook.posting.des_crypt import SALT_ALPHABET, des_crypt
from leftbook.posting.tripcode import classic_tripcode, parse_name, secure_tripcode

SECRET = b"0123456789abcdef0123456789abcdef"
OTHER_SECRET = b"fedcba9876543210fedcba9876543210"

# Each vector is (password, tripcode) as published by an independent implementation.
# NoneGiven/tripcode, README.md (PHP: iconv to CP932 + crypt, "match those generated
# on 4chan"): unmappable characters become "?", "¥" becomes "\", "&" becomes "&amp;".
NONEGIVEN_README = [
    ("a", "ZnBI2EKkq."),
    ("¥", "9xUxYS2dlM"),
    ("\\", "9xUxYS2dlM"),
    ("»", "cPUZU5OGFs"),
    ("?", "cPUZU5OGFs"),
    ("&", "MhCJJ7GVT."),
    ("&amp;", "QfHq1EEpoQ"),
]
# Huton/tripcode-rs, src/tests/mod.rs (Rust, its own DES): html_escaping (4chan
# hasher and the 10-character 2channel hasher, which agree on these), mona_10_matches
# (10-character trips; none of these contain a character that either board escapes)
# and des ("password" with salt "as").
HUTON_TESTS = [
    ("<>", "Gw/f5wZwNg"),
    ('"<', "LZ4ugyvTWU"),
    ("&", "MhCJJ7GVT."),
    ("k", "nOA3ItxPxI"),
    ("[K", "GDsuFp4oF6"),
    ("2 V", "IG4wjn.Cxc"),
    ("|TB~", "P97zJ5IHPI"),
    ("(~A5|", ".HIpR.ZMqM"),
    ("[6??Pz", "9zAZPOvSZI"),
    ("ErdxpJ$", "KgeLOKK0NQ"),
    ("dib3Q_4x", "BX6/llcs1o"),
    ("R%!IuxM.t", "6trdEPfEr6"),
    ("password", "ozOtJW9BFA"),
]
# kenany/tripcode, test/index.js (JavaScript, its own crypt): "anything not
# alphanumeric", "half width katakana"; and test/tripcodes.json (dictionary words).
KENANY_TESTS = [
    ("!", "KNs1o0VDv6"), ("@", "z0MWdctOjE"), ("#", "u2YjtUz8MU"), ("$", "yflOPYrGcY"),
    ("%", "1t98deumW."), ("^", "gBeeWo4hQg"), ("&", "MhCJJ7GVT."), ("*", "o8gKYE6H8A"),
    ("(", "SGn2Wwr9CY"), (")", "E9k1wjKgHI"), ("-", "tHbGiobWdM"), ("_", "m3eoQIlU/U"),
    ("=", "wmxP/NHJxA"), ("+", "IHLbs/YhoA"), ("[", "7h2f0/nQ3w"), ("]", "rjM99frkZs"),
    ("{", "odBt7a7lv6"), ("}", "ATNP9hXHcg"), (";", "zglc7ct1Ls"), (":", ".BmRMKOub2"),
    ("'", "8/08awL.AE"), ('"', "gt1azVccY2"), ("<", "D1YGKrvmeg"), (">", "afqVxck0Ts"),
    (",", "YeQQgdCJE6"), (".", "XONm83jaIU"), ("\\", "9xUxYS2dlM"), ("?", "cPUZU5OGFs"),
    (" ", "wqLZLRuzPQ"),
    ("ﾐﾐ", "8wihCLEUuc"),
    ("ac", "wAVxvJHetM"), ("ad", "PXh7AWqOEQ"), ("aback", "4VE2.k8LXo"),
    ("abandonment", "2IcnYKeTz6"),
]
# aquilax/tripcode, tripcode_test.go (Go, golang.org/x/text Shift-JIS + go-crypt).
AQUILAX_TESTS = [
    ("asd", "TAPy3blMsc"),
    ("adasd", "IOuORdzMKw"),
    ("!@#$%^&*()", "BpZUCmJAIQ"),
    ("f}E", "oUBoOTrysY"),
    ("訛", "c8eDXvwFLQ"),
    ("糯ｫT弓(窶", "Pants.f1Fk"),
]


@pytest.mark.parametrize(
    ("password", "expected"),
    NONEGIVEN_README + HUTON_TESTS + KENANY_TESTS + AQUILAX_TESTS,
)
def test_classic_tripcode_matches_published_vectors(password, expected):
    assert classic_tripcode(password) == expected


def test_kanji_collides_with_its_shift_jis_bytes_without_high_bits():
    # kenany/tripcode test/index.js "collisions": 訛 is 0xE6 0x61 in Shift-JIS, and DES
    # crypt drops each byte's high bit, so it hashes like "fa".
    assert classic_tripcode("訛") == classic_tripcode("fa") == "c8eDXvwFLQ"


@pytest.mark.parametrize("password", ["©", "ñ", "»", "😀", "ß"])
def test_characters_shift_jis_lacks_become_a_question_mark(password):
    # 4chan substitutes "?" (NoneGiven/tripcode README: "»" gives the trip of "?").
    # kenany/tripcode and aquilax/tripcode drop such characters instead; we follow 4chan.
    assert classic_tripcode(password) == classic_tripcode("?")
    assert classic_tripcode(password * 3 + "a") == classic_tripcode("???a")


def test_yen_and_overline_take_the_ascii_slots_as_in_shift_jis():
    assert classic_tripcode("¥") == classic_tripcode("\\")
    assert classic_tripcode("‾x") == classic_tripcode("~x")


def test_windows_only_characters_use_windows_31j():
    # Full-width tilde and circled digits exist only in Windows-31J (CP932).
    assert classic_tripcode("\uff5e") == classic_tripcode("〜")
    assert classic_tripcode("①") != classic_tripcode("?")


def test_html_escaping_happens_before_the_8_byte_cut():
    assert classic_tripcode("&") == des_crypt(b"&amp;", "am")[-10:]
    assert classic_tripcode('"<>') == des_crypt(b"&quot;&l", "qu")[-10:]
    assert classic_tripcode("abcd&xyz") == classic_tripcode("abcd&amp;zzz")
    # The apostrophe is not escaped (PHP htmlspecialchars without ENT_QUOTES).
    assert classic_tripcode("'") == des_crypt(b"'", "H.")[-10:]


def test_only_the_first_8_bytes_count():
    assert classic_tripcode("password") == classic_tripcode("password-and-more")
    assert classic_tripcode("日本語です") == classic_tripcode("日本語ですか")
    assert classic_tripcode("日本語で") != classic_tripcode("日本語")


def test_empty_password_has_no_classic_tripcode():
    with pytest.raises(ValueError):
        classic_tripcode("")


def _reference_tripcode(crypt_function, password: str) -> str:
    """The PHP recipe, step by step, for ASCII passwords, on top of the given crypt."""
    key = password.replace("&", "&amp;").replace('"', "&quot;")
    key = key.replace("<", "&lt;").replace(">", "&gt;")[:8]
    salt = re.sub(r"[^.-z]", ".", (key + "H.")[1:3])
    salt = salt.translate(str.maketrans(":;<=>?@[\\]^_`", "ABCDEFGabcdef"))
    return crypt_function(key, salt)[-10:]


def _stdlib_crypt():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return pytest.importorskip("crypt")


def test_des_crypt_agrees_with_the_stdlib_crypt_oracle():
    crypt = _stdlib_crypt()
    rng = random.Random(3)
    for _ in range(1500):
        key = "".join(
            chr(rng.choice([rng.randint(1, 127), rng.randint(128, 0x30FF)]))
            for _ in range(rng.randint(0, 10))
        )
        salt = rng.choice(SALT_ALPHABET) + rng.choice(SALT_ALPHABET)
        assert des_crypt(key.encode(), salt) == crypt.crypt(key, salt), (key, salt)


def test_classic_tripcode_agrees_with_the_recipe_on_the_stdlib_crypt():
    crypt = _stdlib_crypt()
    rng = random.Random(4)
    for _ in range(1500):
        password = "".join(chr(rng.randint(32, 126)) for _ in range(rng.randint(1, 12)))
        assert classic_tripcode(password) == _reference_tripcode(crypt.crypt, password)


def test_des_crypt_stops_at_nul_and_rejects_bad_salts():
    assert des_crypt(b"ab\0cd", "xy") == des_crypt(b"ab", "xy")
    assert des_crypt(b"12345678", "xy") == des_crypt(b"123456789", "xy")
    with pytest.raises(ValueError):
        des_crypt(b"abc", "!!")
    with pytest.raises(ValueError):
        des_crypt(b"abc", "a")


def test_classic_tripcode_is_fast_enough_for_posting():
    rng = random.Random(5)
    passwords = ["".join(rng.choice("abcdefgh日本&<") for _ in range(8)) for _ in range(50)]
    start = time.perf_counter()
    for password in passwords:
        classic_tripcode(password)
    assert (time.perf_counter() - start) / len(passwords) < 0.02


def test_secure_tripcode_is_stable_per_secret_and_differs_across_secrets():
    trip = secure_tripcode("hunter2", SECRET)
    assert trip == secure_tripcode("hunter2", SECRET)
    assert trip != secure_tripcode("hunter2", OTHER_SECRET)
    assert trip != secure_tripcode("hunter3", SECRET)
    assert re.fullmatch(r"[A-Za-z0-9_-]{13}", trip)
    assert "hunter2" not in trip


def test_secure_tripcode_normalises_unicode_and_refuses_weak_input():
    assert secure_tripcode("cafe\u0301", SECRET) == secure_tripcode("caf\u00e9", SECRET)
    with pytest.raises(ValueError):
        secure_tripcode("", SECRET)
    with pytest.raises(ValueError):
        secure_tripcode("hunter2", b"short")


@pytest.mark.parametrize(
    ("field", "name", "trip"),
    [
        ("", "", None),
        ("Anonymous", "Anonymous", None),
        ("  Rosa  ", "Rosa", None),
        ("Rosa#a", "Rosa", "!ZnBI2EKkq."),
        ("#a", "", "!ZnBI2EKkq."),
        ("Rosa#", "Rosa", None),
        ("Rosa##", "Rosa", None),
        ("Rosa#&", "Rosa", "!MhCJJ7GVT."),
        ("Rosa#pass#word", "Rosa", "!" + classic_tripcode("pass#word")),
        ("Rosa##s3cret", "Rosa", "!!" + secure_tripcode("s3cret", SECRET)),
        ("Rosa#a##s3cret", "Rosa", "!ZnBI2EKkq.!!" + secure_tripcode("s3cret", SECRET)),
        ("Rosa#a##", "Rosa", "!ZnBI2EKkq."),
        ("Rosa ## s3cret", "Rosa", "!!" + secure_tripcode(" s3cret", SECRET)),
        ("R\u202eosa\x07#a", "Rosa", "!ZnBI2EKkq."),
        ("x" * 100 + "#a", "x" * 40, "!ZnBI2EKkq."),
    ],
)
def test_parse_name(field, name, trip):
    assert parse_name(field, SECRET) == (name, trip)


def test_parse_name_honours_max_name():
    assert parse_name("Emma Goldman#a", SECRET, max_name=4) == ("Emma", "!ZnBI2EKkq.")


def test_parse_name_never_returns_or_logs_the_password(caplog):
    caplog.set_level(logging.DEBUG)
    result = parse_name("Rosa#hunter2##correcthorse", SECRET)
    assert not any("hunter2" in part or "correcthorse" in part for part in result)
    assert "hunter2" not in caplog.text
    assert "correcthorse" not in caplog.text
