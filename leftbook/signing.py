"""Everything the site signs goes through here, with a distinct salt per purpose."""

from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer

SALTS = {
    "janitor-link": "leftbook.janitor.link.v1",
    "janitor-session": "leftbook.janitor.session.v1",
    "captcha": "leftbook.captcha.v1",
    "captcha-pass": "leftbook.captcha.pass.v1",
}


class InvalidSignature(ValueError):
    """A token that was altered, signed with another key or for another purpose, or expired."""


def sign(key: bytes, purpose: str, payload: Any) -> str:
    return URLSafeSerializer(key, salt=SALTS[purpose]).dumps(payload)


def unsign(key: bytes, purpose: str, token: str) -> Any:
    try:
        return URLSafeSerializer(key, salt=SALTS[purpose]).loads(token)
    except BadSignature as exc:
        raise InvalidSignature(purpose) from exc


def sign_timed(key: bytes, purpose: str, payload: Any) -> str:
    return URLSafeTimedSerializer(key, salt=SALTS[purpose]).dumps(payload)


def unsign_timed(key: bytes, purpose: str, token: str, max_age: int) -> Any:
    try:
        return URLSafeTimedSerializer(key, salt=SALTS[purpose]).loads(token, max_age=max_age)
    except BadSignature as exc:
        raise InvalidSignature(purpose) from exc
