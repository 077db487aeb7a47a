"""The janitor session of a request: a signed cookie naming a capability, re-checked
against revocation on every request that asks."""

from flask import abort, g, request

from leftbook.moderation import capabilities
from leftbook.moderation.capabilities import Grant
from leftbook.refusal import Refusal
from leftbook.web.cookies import JANITOR_COOKIE
from leftbook.web.site import secrets


def current_grant() -> Grant | None:
    """The janitor grant of this request's session cookie, or None."""
    if "janitor_grant" not in g:
        token = request.cookies.get(JANITOR_COOKIE)
        grant = None
        if token:
            try:
                grant = capabilities.check(token, secrets().capability_key,
                                           purpose="janitor-session")
            except Refusal:
                grant = None
        g.janitor_grant = grant
    return g.janitor_grant


def require_grant() -> Grant:
    grant = current_grant()
    if grant is None:
        abort(403, "This needs a janitor link: open the link the operator gave you. "
                   "It may have expired or been revoked.")
    return grant


def janitor_state() -> tuple:
    """What makes a janitor's copy of a page differ from a reader's."""
    grant = current_grant()
    return () if grant is None else (grant.id, grant.expires)
