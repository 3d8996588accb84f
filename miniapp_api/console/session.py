"""A cookie session for /staff/ only: the rest of the app keeps its stateless sessions.

The cookie ``bdc_staff`` is signed with SECRET_KEY (itsdangerous), HttpOnly, Secure,
SameSite=Strict and limited to ``Path=/staff``. It holds the staff token of the login (the
same JWT the API hands out, with the same idle timeout and revocation) and the CSRF secret.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSessionInterface, SessionInterface

COOKIE = "bdc_staff"
PREFIX = "/staff"


def is_console_path(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


class _CookieSessions(SecureCookieSessionInterface):
    salt = "bdc-staff-console"

    def get_cookie_name(self, app: Flask) -> str:
        return COOKIE

    def get_cookie_path(self, app: Flask) -> str:
        return PREFIX

    def get_cookie_domain(self, app: Flask) -> str | None:
        return None

    def get_cookie_httponly(self, app: Flask) -> bool:
        return True

    def get_cookie_secure(self, app: Flask) -> bool:
        return True

    def get_cookie_samesite(self, app: Flask) -> str:
        return "Strict"

    def get_expiration_time(self, app: Flask, session: Any) -> None:
        return None  # a browser-session cookie; the token inside carries the real lifetime


class ConsoleSessions(SessionInterface):
    """Cookie sessions under /staff, the app's own (stateless) sessions everywhere else."""

    def __init__(self, inner: SessionInterface) -> None:
        self.inner = inner
        self.cookies = _CookieSessions()

    def open_session(self, app: Flask, request: Request) -> Any:
        if is_console_path(request.path):
            return self.cookies.open_session(app, request)
        return self.inner.open_session(app, request)

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        from flask import request

        if is_console_path(request.path):
            return self.cookies.save_session(app, session, response)
        return self.inner.save_session(app, session, response)

    def is_null_session(self, obj: object) -> bool:
        return self.inner.is_null_session(obj) or self.cookies.is_null_session(obj)
