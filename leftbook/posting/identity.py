"""Identity without accounts: per-thread poster IDs and deletion passwords.

A poster ID is a keyed hash of a per-browser random token (a cookie, never
stored) with a random per-thread salt (stored with the thread, pruned with
it): stable inside one thread, unrelated across threads, and impossible to
recompute once the thread and its salt are gone.
"""

import base64
import binascii
import colorsys
import hashlib
import hmac
import re
import secrets

THREAD_SALT_BYTES = 32
POSTER_ID_LENGTH = 8
_POSTER_TOKEN_BYTES = 32
_POSTER_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{43}")

ID_HUE_STEP = 10
ID_SATURATION = 60
ID_TEXT_COLOUR = "#fff"
_MIN_CONTRAST = 4.6  # WCAG AA asks 4.5 for normal text; keep a little margin

_SCRYPT_LOG_N, _SCRYPT_R, _SCRYPT_P = 14, 8, 1
_SCRYPT_SALT_BYTES = 16
_SCRYPT_HASH_BYTES = 32
_SCRYPT_MAXMEM = 64 * 1024 * 1024


def new_thread_salt() -> bytes:
    """Random salt for a new thread's poster IDs."""
    return secrets.token_bytes(THREAD_SALT_BYTES)


def new_poster_token() -> str:
    """Random per-browser token for the poster-ID cookie (43 URL-safe characters)."""
    return secrets.token_urlsafe(_POSTER_TOKEN_BYTES)


def is_poster_token(value: str) -> bool:
    """True if ``value`` has the shape of a token made by ``new_poster_token``."""
    return bool(_POSTER_TOKEN_RE.fullmatch(value))


def thread_poster_id(salt: bytes, token: str) -> str:
    """The 8-character ID (``A-Za-z0-9-_``) of the browser holding ``token`` in one thread."""
    if len(salt) < 16:
        raise ValueError("a thread salt must be at least 16 bytes")
    if not token:
        raise ValueError("a poster token must not be empty")
    digest = hmac.new(salt, b"leftbook poster id\0" + token.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:6]).decode("ascii")


def _relative_luminance(red: float, green: float, blue: float) -> float:
    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def contrast_with_white(hue: int, saturation: int, lightness: int) -> float:
    """WCAG contrast ratio of white text on ``hsl(hue, saturation%, lightness%)``."""
    rgb = colorsys.hls_to_rgb(hue / 360, lightness / 100, saturation / 100)
    return 1.05 / (_relative_luminance(*rgb) + 0.05)


def _readable_lightness(hue: int) -> int:
    """The lightest lightness (at most 45%) that still gives white text enough contrast."""
    lightness = 45
    while contrast_with_white(hue, ID_SATURATION, lightness) < _MIN_CONTRAST:
        lightness -= 1
    return lightness


_LIGHTNESS = {hue: _readable_lightness(hue) for hue in range(0, 360, ID_HUE_STEP)}


def id_hue(poster_id: str) -> int:
    """The hue (a multiple of 10 degrees) that colours ``poster_id``."""
    bucket = hashlib.sha256(poster_id.encode()).digest()[0] % len(_LIGHTNESS)
    return bucket * ID_HUE_STEP


def id_colour(poster_id: str) -> str:
    """CSS background colour for ``poster_id``; white text on it is readable (WCAG AA)."""
    hue = id_hue(poster_id)
    return f"hsl({hue}, {ID_SATURATION}%, {_LIGHTNESS[hue]}%)"


def id_colour_class(poster_id: str) -> str:
    """CSS class carrying ``id_colour`` (the CSP forbids inline ``style`` attributes)."""
    return f"id-hue-{id_hue(poster_id)}"


def id_colour_stylesheet() -> str:
    """CSS rules for every class ``id_colour_class`` can return."""
    return "".join(
        f".id-hue-{hue}{{background:hsl({hue}, {ID_SATURATION}%, {lightness}%);"
        f"color:{ID_TEXT_COLOUR}}}\n"
        for hue, lightness in _LIGHTNESS.items()
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(password: str, salt: bytes, log_n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode(), salt=salt, n=1 << log_n, r=r, p=p,
        maxmem=_SCRYPT_MAXMEM, dklen=_SCRYPT_HASH_BYTES,
    )


_SITE_PASSWORD = re.compile(r"s1\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{22})")
_FAST_PREFIX = "sha256"


def _site_password_mac(key: bytes, nonce: str) -> str:
    digest = hmac.new(key, b"leftbook site password\0" + nonce.encode(), hashlib.sha256)
    return _b64(digest.digest()[:16])


def new_site_password(key: bytes) -> str:
    """A deletion password made by the site (the browser keeps it in a cookie): 128 random
    bits, signed with `key` so that only passwords the site made count as such."""
    nonce = _b64(secrets.token_bytes(16))
    return f"s1.{nonce}.{_site_password_mac(key, nonce)}"


def is_site_password(key: bytes, password: str) -> bool:
    """True if `password` was made by `new_site_password` with `key`."""
    match = _SITE_PASSWORD.fullmatch(password)
    return bool(match) and hmac.compare_digest(match[2], _site_password_mac(key, match[1]))


def hash_deletion_password(password: str, key: bytes) -> str:
    """The stored form of a deletion password. One the site made (128 random bits) cannot be
    guessed from a seized database however fast its hash is, so it gets a salted SHA-256;
    one the poster chose may be weak, so it gets the slow scrypt hash."""
    if is_site_password(key, password):
        salt = secrets.token_bytes(_SCRYPT_SALT_BYTES)
        digest = hashlib.sha256(salt + password.encode()).digest()
        return f"{_FAST_PREFIX}${_b64(salt)}${_b64(digest)}"
    return hash_password(password)


def _check_fast(password: str, parts: list[str]) -> bool:
    try:
        salt, expected = _unb64(parts[1]), _unb64(parts[2])
    except (binascii.Error, ValueError):
        return False
    return len(salt) >= 8 and hmac.compare_digest(
        hashlib.sha256(salt + password.encode()).digest(), expected)


def hash_password(password: str) -> str:
    """Slow salted hash of a deletion password: ``scrypt$logN$r$p$salt$hash``."""
    if not password:
        raise ValueError("an empty deletion password cannot be hashed")
    salt = secrets.token_bytes(_SCRYPT_SALT_BYTES)
    digest = _scrypt(password, salt, _SCRYPT_LOG_N, _SCRYPT_R, _SCRYPT_P)
    return f"scrypt${_SCRYPT_LOG_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def check_password(password: str, stored: str) -> bool:
    """True if ``password`` matches ``stored`` (from ``hash_password``); False if malformed."""
    if not password or not isinstance(stored, str):
        return False
    parts = stored.split("$")
    if len(parts) == 3 and parts[0] == _FAST_PREFIX:
        return _check_fast(password, parts)
    if len(parts) != 6 or parts[0] != "scrypt" or not all(x.isdigit() for x in parts[1:4]):
        return False
    log_n, r, p = (int(x) for x in parts[1:4])
    if not (10 <= log_n <= 20 and 1 <= r <= 32 and 1 <= p <= 4 and (r << log_n) <= 1 << 18):
        return False
    try:
        salt, expected = _unb64(parts[4]), _unb64(parts[5])
    except (binascii.Error, ValueError):
        return False
    if len(salt) < 8 or len(expected) != _SCRYPT_HASH_BYTES:
        return False
    return hmac.compare_digest(_scrypt(password, salt, log_n, r, p), expected)
