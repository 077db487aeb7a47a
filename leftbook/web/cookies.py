"""The only cookies the site sets, and how: HttpOnly, SameSite=Strict, whole site."""

PASSWORD_COOKIE = "password"  # noqa: S105 (a cookie name)
POSTER_COOKIE = "poster"
PASS_COOKIE = "pass"  # noqa: S105 (a cookie name)
JANITOR_COOKIE = "janitor"


def cookie_options(max_age: int | None = None) -> dict:
    return {"httponly": True, "samesite": "Strict", "secure": False, "max_age": max_age,
            "path": "/"}
FORM_COOKIE = "form"
