"""Staff login with lockout, staff logout and account creation (no Flask request here).

Lockout: after STAFF_MAX_FAILED_LOGINS wrong passwords in a row an account is locked for
STAFF_LOCKOUT_SECONDS (answer 423). Unknown usernames are counted the same way in the
key-value store, so the answers never tell whether a username exists.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from .. import unit_of_work
from ..database import db
from ..domain import audit
from ..errors import Problem
from ..extensions import kv
from ..models import StaffUser, utcnow
from . import passwords, tokens
from .guards import end_staff_session, start_staff_session

ROLES = ("clerk", "admin")
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
LOGIN_FAILED = ("login_failed", "用户名或密码错误")


def normalize_username(username: str) -> str:
    return (username or "").strip().lower()


def _locked(seconds: float) -> Problem:
    minutes = max(1, math.ceil(seconds / 60))
    return Problem(
        423,
        "account_locked",
        f"登录失败次数过多，账号已临时锁定，请 {minutes} 分钟后再试",
        headers={"Retry-After": str(max(1, int(seconds)))},
    )


def _refuse(problem: Problem, result: str, user: StaffUser | None) -> Problem:
    """Audit a failed login; the failure count and lock are kept with the refusal."""
    return audit.refuse(
        problem,
        "staff.login",
        result=result,
        actor=("staff", user.id) if user else audit.PUBLIC,
        object_type="staff_user",
        object_id=user.id if user else None,
    )


def _unknown_user_attempt(username: str, password: str) -> Problem:
    """Count failures for a username that does not exist, exactly like a real one."""
    max_failures = int(current_app.config["STAFF_MAX_FAILED_LOGINS"])
    lockout = int(current_app.config["STAFF_LOCKOUT_SECONDS"])
    digest = hashlib.sha256(username.encode()).hexdigest()
    lock_key, count_key = f"staff-lock:{digest}", f"staff-fail:{digest}"
    locked_until = kv.get(lock_key)
    if locked_until is not None:
        return _refuse(_locked(float(locked_until) - time.time()), "locked", None)
    passwords.verify_password(None, password)  # same work as for a real account
    count = int(kv.get(count_key) or 0) + 1
    if count >= max_failures:
        kv.set(lock_key, str(time.time() + lockout), lockout)
        kv.delete(count_key)
        return _refuse(_locked(lockout), "locked", None)
    kv.set(count_key, str(count), lockout)
    return _refuse(Problem(401, *LOGIN_FAILED), "bad_credentials", None)


def login(username: str, password: str) -> dict[str, Any]:
    """Check a staff password and open a staff session (token + idle marker)."""
    username = normalize_username(username)
    user = db.session.execute(
        select(StaffUser).where(StaffUser.username == username)
    ).scalar_one_or_none()
    if user is None:
        raise _unknown_user_attempt(username, password)
    now = utcnow()
    if user.locked_until is not None and user.locked_until > now:
        remaining = (user.locked_until - now).total_seconds()
        raise _refuse(_locked(remaining), "locked", user)
    if not (passwords.verify_password(user.password_hash, password) and user.active):
        user.failed_logins = StaffUser.failed_logins + 1
        db.session.flush()
        db.session.refresh(user, ["failed_logins"])
        if user.failed_logins >= int(current_app.config["STAFF_MAX_FAILED_LOGINS"]):
            lockout = int(current_app.config["STAFF_LOCKOUT_SECONDS"])
            user.locked_until = now + timedelta(seconds=lockout)
            user.failed_logins = 0
            raise _refuse(_locked(lockout), "locked", user)
        raise _refuse(Problem(401, *LOGIN_FAILED), "bad_credentials", user)
    user.failed_logins = 0
    user.locked_until = None
    user.last_seen_at = now
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    token, claims = tokens.issue(str(user.id), tokens.AUD_STAFF, tokens.staff_ttl(), role=user.role)
    audit.record(
        "staff.login", actor=("staff", user.id), object_type="staff_user", object_id=user.id
    )
    unit_of_work.after_commit(lambda: start_staff_session(claims))
    return {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": tokens.staff_ttl(),
        "role": user.role,
        "username": user.username,
    }


def logout(claims: dict[str, Any], user: StaffUser) -> None:
    audit.record("staff.logout", object_type="staff_user", object_id=user.id)

    def end() -> None:
        tokens.revoke(claims)
        end_staff_session(claims)

    unit_of_work.after_commit(end)


def create_staff(username: str, role: str, password: str) -> StaffUser:
    """Create a staff account; ValueError (Chinese message) when refused."""
    username = normalize_username(username)
    if not USERNAME_RE.match(username):
        raise ValueError("用户名须为 3 到 64 位小写字母、数字或 . _ -，并以字母或数字开头")
    if role not in ROLES:
        raise ValueError("角色只能是 clerk 或 admin")
    problems = passwords.password_problems(password, username)
    if problems:
        raise ValueError("；".join(problems))
    exists = db.session.execute(select(StaffUser.id).where(StaffUser.username == username)).first()
    if exists is not None:
        raise ValueError(f"用户 {username} 已存在")
    user = StaffUser(username=username, password_hash=passwords.hash_password(password), role=role)
    db.session.add(user)
    db.session.flush()
    audit.record(
        "staff.create",
        actor_kind="system",
        object_type="staff_user",
        object_id=user.id,
        detail={"role": role},
    )
    unit_of_work.done()
    return user
