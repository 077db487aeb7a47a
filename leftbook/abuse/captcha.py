"""A captcha that needs no JavaScript: a Pillow image answered in the post form.

A challenge is a signed token carrying a random id and an expiry; the answer is a keyed
hash of the id, so nothing is stored until the challenge is used, and then only its id
(`UsedChallenge`), which makes every challenge single-use. Solving one grants a pass: a
signed cookie naming a random pass id, good until it expires or has been used for
`PASS_POSTS` posts (uses are counted in the database, so it cannot be replayed forever).
"""

import hashlib
import hmac
import io
import math
import secrets
from dataclasses import dataclass

from peewee import IntegrityError
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from leftbook import clock, signing
from leftbook.database import write_transaction
from leftbook.database.models import FloodEvent, UsedChallenge
from leftbook.refusal import Refusal

ALPHABET = "ABCDEFHJKLMNPRTUVWXY34678"  # no look-alikes (0/O, 1/I, 2/Z, 5/S, 9/G)
ANSWER_LENGTH = 6
CHALLENGE_SECONDS = 10 * 60
PASS_SECONDS = 15 * 60
PASS_POSTS = 5
IMAGE_SIZE = (240, 80)
FONT_SIZE = 40

_random = secrets.SystemRandom()



@dataclass(frozen=True)
class Challenge:
    id: str
    expires: int


def new_challenge(secret: bytes) -> str:
    """A fresh signed challenge token (safe in a URL and a hidden form field)."""
    payload = {"i": secrets.token_urlsafe(16), "e": clock.now() + CHALLENGE_SECONDS}
    return signing.sign(secret, "captcha", payload)


def read_challenge(secret: bytes, token: str) -> Challenge | None:
    """The challenge a token names, or None if it is forged, malformed or expired."""
    try:
        payload = signing.unsign(secret, "captcha", token)
        challenge = Challenge(id=str(payload["i"]), expires=int(payload["e"]))
    except (signing.InvalidSignature, KeyError, TypeError, ValueError):
        return None
    return challenge if challenge.expires > clock.now() and len(challenge.id) <= 64 else None


def answer_for(secret: bytes, challenge_id: str) -> str:
    """The characters a challenge's image shows (a keyed hash of its id)."""
    digest = hmac.new(secret, b"leftbook captcha answer\0" + challenge_id.encode(),
                      hashlib.sha256).digest()
    return "".join(ALPHABET[b % len(ALPHABET)] for b in digest[:ANSWER_LENGTH])


def is_used(challenge_id: str) -> bool:
    return UsedChallenge.select().where(UsedChallenge.challenge == challenge_id).exists()


def solve(secret: bytes, token: str, answer: str) -> None:
    """Check an answer and burn the challenge (right or wrong); refuse it if wrong."""
    challenge = read_challenge(secret, token or "")
    if challenge is None:
        raise Refusal("The captcha has expired: type the characters in the new picture.",
                      captcha=True)
    try:
        with write_transaction():
            UsedChallenge.create(challenge=challenge.id, expires=challenge.expires)
    except IntegrityError as exc:
        raise Refusal("That captcha was already used: type the characters in the "
                      "new picture.", captcha=True) from exc
    given = "".join((answer or "").split()).upper().encode()
    if not hmac.compare_digest(given, answer_for(secret, challenge.id).encode()):
        raise Refusal("The captcha answer was wrong: type the characters in the new "
                      "picture.", captcha=True)


def new_pass(secret: bytes) -> str:
    """A signed pass cookie value, granted for solving a captcha."""
    payload = {"i": secrets.token_urlsafe(16), "e": clock.now() + PASS_SECONDS}
    return signing.sign(secret, "captcha-pass", payload)


def read_pass(secret: bytes, value: str | None) -> str | None:
    """The pass id in a cookie value if it is genuine and unexpired (uses not checked)."""
    if not value:
        return None
    try:
        payload = signing.unsign(secret, "captcha-pass", value)
        pass_id, expires = str(payload["i"]), int(payload["e"])
    except (signing.InvalidSignature, KeyError, TypeError, ValueError):
        return None
    return pass_id if expires > clock.now() and len(pass_id) <= 64 else None


def pass_uses(pass_id: str) -> int:
    return FloodEvent.select().where(FloodEvent.kind == "pass",
                                     FloodEvent.key == pass_id).count()


def pass_left(pass_id: str | None) -> int:
    """How many more posts a pass admits (0 for no pass)."""
    return max(0, PASS_POSTS - pass_uses(pass_id)) if pass_id else 0


def use_pass(pass_id: str) -> None:
    """Count one post against a pass; call inside the post's write transaction."""
    if pass_left(pass_id) <= 0:
        raise Refusal("Your captcha pass is used up: solve a new captcha to post.", captcha=True)
    FloodEvent.create(kind="pass", key=pass_id, digest=None, time=clock.now())


def _glyph(char: str, font: ImageFont.FreeTypeFont) -> Image.Image:
    left, top, right, bottom = font.getbbox(char)
    glyph = Image.new("L", (right - left + 12, bottom - top + 12), 0)
    ImageDraw.Draw(glyph).text((6 - left, 6 - top), char, font=font, fill=255)
    return glyph.rotate(_random.uniform(-30, 30), resample=Image.Resampling.BICUBIC,
                        expand=True)


def _wave(image: Image.Image) -> Image.Image:
    """Shift each column up or down along a random sine wave."""
    width, height = image.size
    out = Image.new(image.mode, image.size, 255)
    amplitude, period, phase = _random.uniform(3, 6), _random.uniform(50, 90), _random.random()
    for x in range(0, width, 2):
        dy = int(amplitude * math.sin(2 * math.pi * (x / period + phase)))
        out.paste(image.crop((x, 0, x + 2, height)), (x, dy))
    return out


def render_image(answer: str) -> bytes:
    """A PNG of `answer`: rotated, jittered characters on a wave, with noise lines and speckles."""
    width, height = IMAGE_SIZE
    font = ImageFont.load_default(size=FONT_SIZE)
    canvas = Image.new("L", IMAGE_SIZE, 255)
    step = (width - 20) // len(answer)
    for i, char in enumerate(answer):
        glyph = _glyph(char, font)
        x = 10 + i * step + _random.randint(-3, 3)
        y = (height - glyph.height) // 2 + _random.randint(-8, 8)
        canvas.paste(_random.randint(0, 90), (x, y), glyph)
    canvas = _wave(canvas)
    draw = ImageDraw.Draw(canvas)
    for _ in range(5):
        points = [(_random.randint(0, width), _random.randint(0, height)) for _ in range(3)]
        draw.line(points, fill=_random.randint(0, 120), width=_random.randint(1, 2))
    speckles = Image.effect_noise(IMAGE_SIZE, 60).point(lambda v: 40 if v < 40 else 255)
    canvas = ImageChops.darker(canvas, speckles).filter(ImageFilter.SMOOTH)
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()
