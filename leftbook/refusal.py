"""The one way the domain says no: a message for the person, an HTTP-like status, and
optional fields for clients (e.g. `retry_after`). The web layer turns it into a page or JSON
in one error handler; the CLI prints the message."""

from typing import Any


class Refusal(Exception):
    """A request refused for a reason the person can fix or should know; nothing changed.

    `captcha` asks the page to show a captcha to solve; `extra` fields go into the JSON
    answer as they are.
    """

    def __init__(self, message: str, status: int = 400, *, captcha: bool = False,
                 **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.captcha = captcha
        self.extra = extra

    def __str__(self) -> str:
        return self.message


THREAD_GONE = "This thread does not exist (it may have been deleted or pruned)."
POST_GONE = "A selected post does not exist (it may already be deleted)."
