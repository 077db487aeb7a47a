"""Tripcodes: the name field's ``Name#password`` and ``Name##secret`` forms.

Classic tripcodes follow the algorithm 4chan, futaba and most imageboards
share, so a password gives the same ``!XXXXXXXXXX`` here as there. Secure
tripcodes are an HMAC with a site secret, so they cannot be computed off-site.
Passwords are never returned, stored or logged by this module.
"""

import base64
import hashlib
import hmac
import unicodedata

from leftbook.posting.des_crypt import des_crypt

CLASSIC_TRIP_LENGTH = 10
SECURE_TRIP_LENGTH = 13
MIN_SECRET_BYTES = 16

# 4chan escapes these four before hashing (PHP htmlspecialchars without ENT_QUOTES:
# the apostrophe is left alone).
_HTML_ESCAPES = {"&": "&amp;", '"': "&quot;", "<": "&lt;", ">": "&gt;"}
_SALT_FIXUPS = dict(zip(":;<=>?@[\\]^_`", "ABCDEFGabcdef", strict=True))
# Bidirectional overrides and isolates would let a name reorder what follows it.
_BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _shift_jis(text: str) -> bytes:
    """Encode like 4chan: Windows-31J, JIS X 0208 as a fallback, ``?`` for anything else."""
    out = bytearray()
    for char in text:
        for codec in ("cp932", "shift_jis"):
            try:
                out += char.encode(codec)
                break
            except UnicodeEncodeError:
                continue
        else:
            out += b"?"
    return bytes(out)


def _salt_char(byte: int) -> str:
    char = chr(byte)
    if not "." <= char <= "z":
        return "."
    return _SALT_FIXUPS.get(char, char)


def classic_tripcode(password: str) -> str:
    """Return the 10-character classic tripcode of ``password`` (without the ``!``).

    The password is HTML-escaped (``& " < >``), encoded to Shift-JIS (characters
    Shift-JIS lacks become ``?``), and its first 8 bytes are DES-crypted with a
    salt taken from its 2nd and 3rd bytes. Raises ``ValueError`` if it is empty.
    """
    if not password:
        raise ValueError("an empty password has no tripcode")
    escaped = "".join(_HTML_ESCAPES.get(char, char) for char in password[:8])
    key = _shift_jis(escaped[:8])[:8]
    salt = "".join(_salt_char(byte) for byte in (key + b"H.")[1:3])
    return des_crypt(key, salt)[-CLASSIC_TRIP_LENGTH:]


def secure_tripcode(password: str, secret: bytes) -> str:
    """Return the 13-character secure tripcode of ``password`` (without the ``!!``).

    An HMAC-SHA256 keyed with the site secret, in URL-safe base64 (``A-Za-z0-9-_``).
    The password is NFC-normalised, so the same text typed on any system matches.
    """
    if not password:
        raise ValueError("an empty password has no tripcode")
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"the tripcode secret must be at least {MIN_SECRET_BYTES} bytes")
    message = b"leftbook secure tripcode\0" + unicodedata.normalize("NFC", password).encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:SECURE_TRIP_LENGTH]


def clean_name(name: str, max_name: int) -> str:
    """Drop control and bidi-override characters, trim, and cut to ``max_name`` characters."""
    kept = "".join(
        char
        for char in name
        if unicodedata.category(char) != "Cc" and char not in _BIDI_CONTROLS
    )
    return kept.strip()[:max_name].strip()


def parse_name(field: str, secret: bytes, *, max_name: int = 40) -> tuple[str, str | None]:
    """Split a name field into (name, trip).

    ``Name#pass`` gives ``!classic``, ``Name##pass`` gives ``!!secure``, and
    ``Name#pass##secret`` gives ``!classic!!secure``. An empty password part
    gives nothing; no password at all gives ``None``. An empty name is returned
    as ``""`` (the caller shows the board's default name).
    """
    name, _, passwords = field.partition("#")
    if passwords.startswith("#"):
        classic, secure = "", passwords[1:]
    else:
        classic, _, secure = passwords.partition("##")
    trip = ""
    if classic:
        trip += "!" + classic_tripcode(classic)
    if secure:
        trip += "!!" + secure_tripcode(secure, secret)
    return clean_name(name, max_name), trip or None
