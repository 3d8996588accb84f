"""Staff login: argon2 passwords, lockout, idle timeout, logout, and `flask create-staff`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from miniapp_api.auth import passwords, staff_service
from miniapp_api.extensions import db, kv
from miniapp_api.models import AuditEvent, StaffUser, utcnow

LOGIN = "/api/v1/staff/login"
LOGOUT = "/api/v1/staff/logout"
PASSWORD = "Correct-Horse-42-Battery"


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    # cheap hashes keep the suite fast; production uses argon2-cffi's defaults
    return {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8192, "ARGON2_PARALLELISM": 1}


@pytest.fixture
def clerk(app: Any) -> StaffUser:
    return staff_service.create_staff("wang.clerk", "clerk", PASSWORD)


def attempt(client: Any, username: str, password: str) -> Any:
    return client.post(LOGIN, json={"username": username, "password": password})


def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["code"] == code
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- login ---------------------------------------------------------------------------------
def test_login_gives_a_staff_token_with_the_role(client, clerk):
    response = attempt(client, "Wang.Clerk ", PASSWORD)
    assert response.status_code == 200
    body = response.get_json()
    assert body["role"] == "clerk" and body["username"] == "wang.clerk"
    assert body["token_type"] == "Bearer" and 0 < body["expires_in"] <= 1800
    assert client.post(LOGOUT, headers=bearer(body["access_token"])).status_code == 204


def test_password_is_stored_as_argon2id(clerk):
    assert clerk.password_hash.startswith("$argon2id$")
    assert PASSWORD not in clerk.password_hash


def test_wrong_password_is_401_and_audited(client, clerk):
    problem(attempt(client, "wang.clerk", "wrong-password-123"), 401, "login_failed")
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "staff.login")
    ).scalar_one()
    assert event.result == "bad_credentials" and event.object_id == str(clerk.id)
    assert "wrong-password" not in str(event.detail)


def test_unknown_user_answers_like_a_wrong_password(client, clerk):
    unknown = attempt(client, "nobody", PASSWORD).get_json()
    wrong = attempt(client, "wang.clerk", "wrong-password-123").get_json()
    assert (unknown["status"], unknown["code"], unknown["detail"]) == (
        wrong["status"],
        wrong["code"],
        wrong["detail"],
    )


def test_inactive_user_cannot_log_in(client, clerk):
    clerk.active = False
    db.session.commit()
    problem(attempt(client, "wang.clerk", PASSWORD), 401, "login_failed")


def test_citizen_token_cannot_log_out_staff(client, citizen_headers):
    problem(client.post(LOGOUT, headers=citizen_headers("zhang")), 401, "token_invalid")


# --- lockout -------------------------------------------------------------------------------
def test_five_failures_lock_the_account_even_for_the_right_password(client, clerk):
    for _ in range(4):
        problem(attempt(client, "wang.clerk", "wrong-password-123"), 401, "login_failed")
    locked = attempt(client, "wang.clerk", "wrong-password-123")
    problem(locked, 423, "account_locked")
    assert 800 <= int(locked.headers["Retry-After"]) <= 900
    problem(attempt(client, "wang.clerk", PASSWORD), 423, "account_locked")
    db.session.refresh(clerk)
    assert clerk.locked_until is not None


def test_lock_expires(client, clerk):
    for _ in range(5):
        attempt(client, "wang.clerk", "wrong-password-123")
    clerk.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert attempt(client, "wang.clerk", PASSWORD).status_code == 200


def test_success_resets_the_failure_count(client, clerk):
    for _ in range(4):
        attempt(client, "wang.clerk", "wrong-password-123")
    assert attempt(client, "wang.clerk", PASSWORD).status_code == 200
    for _ in range(4):
        problem(attempt(client, "wang.clerk", "wrong-password-123"), 401, "login_failed")


def test_unknown_user_is_locked_the_same_way(client, clerk):
    for _ in range(4):
        problem(attempt(client, "ghost", "wrong-password-123"), 401, "login_failed")
    ghost = attempt(client, "ghost", "wrong-password-123")
    for _ in range(4):
        attempt(client, "wang.clerk", "wrong-password-123")
    real = attempt(client, "wang.clerk", "wrong-password-123")
    a, b = ghost.get_json(), real.get_json()
    assert (ghost.status_code, a["code"], a["detail"]) == (real.status_code, b["code"], b["detail"])
    assert ghost.status_code == 423
    assert problem(attempt(client, "ghost", PASSWORD), 423, "account_locked")


def test_login_is_rate_limited_per_client(app, client, clerk):
    app.config["STAFF_LOGIN_RATE_LIMIT"] = "3 per minute"
    for name in ("a1", "a2", "a3"):
        attempt(client, name, "wrong-password-123")
    problem(attempt(client, "wang.clerk", PASSWORD), 429, "rate_limited")


# --- sessions -------------------------------------------------------------------------------
def test_logout_ends_the_session_at_once(client, clerk):
    token = attempt(client, "wang.clerk", PASSWORD).get_json()["access_token"]
    assert client.post(LOGOUT, headers=bearer(token)).status_code == 204
    problem(client.post(LOGOUT, headers=bearer(token)), 401, "token_revoked")


def test_idle_session_must_log_in_again(client, clerk):
    import jwt

    token = attempt(client, "wang.clerk", PASSWORD).get_json()["access_token"]
    jti = jwt.decode(token, options={"verify_signature": False})["jti"]
    kv.delete(f"staff-seen:{jti}")  # what STAFF_IDLE_TIMEOUT seconds without a request do
    problem(client.post(LOGOUT, headers=bearer(token)), 401, "session_idle")


def test_role_is_read_from_the_account_not_the_token(app, client, clerk):
    from miniapp_api.auth.guards import staff_required

    @app.route("/_test/admin-only")
    @staff_required("admin")
    def admin_only() -> dict[str, bool]:
        return {"ok": True}

    token = attempt(client, "wang.clerk", PASSWORD).get_json()["access_token"]
    problem(client.get("/_test/admin-only", headers=bearer(token)), 403, "forbidden")
    clerk.role = "admin"
    db.session.commit()
    assert client.get("/_test/admin-only", headers=bearer(token)).get_json() == {"ok": True}


# --- password policy and the CLI ----------------------------------------------------------
@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("Short-1", "至少"),
        ("alllowercaseletters", "一类"),
        ("123456789012345", "一类"),
        ("my-wang.clerk-pass-1", "用户名"),
        ("Password1234", "常见"),
        ("qwerty123456", "常见"),
    ],
)
def test_weak_passwords_are_refused(password, why):
    problems = passwords.password_problems(password, "wang.clerk")
    assert any(why in p for p in problems), problems


def test_strong_password_is_accepted():
    assert passwords.password_problems(PASSWORD, "wang.clerk") == []


def run_cli(app: Any, *args: str, stdin: str | None = None) -> Any:
    return app.test_cli_runner().invoke(args=["create-staff", *args], input=stdin)


def test_create_staff_from_stdin(app):
    result = run_cli(app, "li.admin", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    user = db.session.execute(
        select(StaffUser).where(StaffUser.username == "li.admin")
    ).scalar_one()
    assert user.role == "admin"
    assert passwords.verify_password(user.password_hash, PASSWORD)


def test_create_staff_from_prompt_asks_twice(app):
    result = run_cli(app, "zhou.clerk", "--role", "clerk", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert db.session.execute(
        select(StaffUser).where(StaffUser.username == "zhou.clerk")
    ).scalar_one()


def test_create_staff_refuses_a_weak_password(app):
    result = run_cli(app, "zhou.clerk", "--role", "clerk", "--password-stdin", stdin="zhou.clerk\n")
    assert result.exit_code != 0
    assert "密码" in result.output
    assert (
        db.session.execute(
            select(StaffUser).where(StaffUser.username == "zhou.clerk")
        ).scalar_one_or_none()
        is None
    )


def test_create_staff_refuses_duplicates_and_bad_roles(app, clerk):
    duplicate = run_cli(app, "wang.clerk", "--role", "clerk", "--password-stdin", stdin=PASSWORD)
    assert duplicate.exit_code != 0 and "已存在" in duplicate.output
    bad_role = run_cli(app, "new.user", "--role", "root", "--password-stdin", stdin=PASSWORD)
    assert bad_role.exit_code != 0


def test_staff_creation_is_audited_without_the_password(app):
    run_cli(app, "li.admin", "--role", "admin", "--password-stdin", stdin=PASSWORD)
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "staff.create")
    ).scalar_one()
    assert event.detail == {"role": "admin"}


def test_login_upgrades_a_hash_made_with_older_parameters(app, client, clerk):
    old_hash = clerk.password_hash
    app.config["ARGON2_TIME_COST"] = 2
    assert attempt(client, "wang.clerk", PASSWORD).status_code == 200
    db.session.refresh(clerk)
    assert clerk.password_hash != old_hash and "t=2" in clerk.password_hash
    assert passwords.verify_password(clerk.password_hash, PASSWORD)
