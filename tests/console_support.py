"""Helpers of the staff console tests: staff accounts with passwords, a logged-in client."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from miniapp_api.auth import staff_service
from miniapp_api.extensions import db
from miniapp_api.models import StaffUser

PASSWORD = "Window-Desk-2026!"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
FAST_ARGON2 = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8192, "ARGON2_PARALLELISM": 1}


def staff_user(username: str, role: str) -> StaffUser:
    user = db.session.execute(
        select(StaffUser).where(StaffUser.username == username)
    ).scalar_one_or_none()
    return user or staff_service.create_staff(username, role, PASSWORD)


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client: Any, role: str = "clerk", username: str | None = None) -> str:
    """Log in through the form; returns a CSRF token for the session."""
    username = username or f"console-{role}"
    staff_user(username, role)
    page = client.get("/staff/login")
    response = client.post(
        "/staff/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/staff/").text)
