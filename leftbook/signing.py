"""Everything the site signs goes through here, with a distinct salt per purpose."""

from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

SALTS = {
    "janitor-link": "leftbook.janitor.link.v1",
    "janitor-session": "leftbook.janitor.session.v1",
    "captcha": "leftbook.captcha.challenge",
    "captcha-pass": "leftbook.captcha.pass",
    "reader-posts": "leftbook.reader.posts.v2",  # v2: a random version first
    "reader-watch": "leftbook.reader.watch.v1",
}


class InvalidSignature(ValueError):
    """A token that was altered, or signed with another key or for another purpose."""


def sign(key: bytes, purpose: str, payload: Any) -> str:
    return URLSafeSerializer(key, salt=SALTS[purpose]).dumps(payload)


def unsign(key: bytes, purpose: str, token: str) -> Any:
    try:
        return URLSafeSerializer(key, salt=SALTS[purpose]).loads(token)
    except BadSignature as exc:
        raise InvalidSignature(purpose) from exc
