"""JWT checks: forged, expired, alg:none, wrong audience/issuer, missing claims, key rotation."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest

from miniapp_api import create_app
from miniapp_api.auth import tokens
from miniapp_api.config import ConfigError

ME = "/api/v1/me"
STAFF_LOGOUT = "/api/v1/staff/logout"
KEY_OLD = "old-signing-secret-0123456789abcdef-0123456789-abcdefghijklmnopqrstuvwxyz"
KEY_NEW = "new-signing-secret-0123456789abcdef-0123456789-abcdefghijklmnopqrstuvwxyz"


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    return {"JWT_SECRETS": f"k2026:{KEY_NEW},k2025:{KEY_OLD}"}


def assert_401(response: Any, code: str = "token_invalid") -> None:
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == code
    assert "access_token" not in response.get_data(as_text=True)


def claims_for(app: Any, account_id: int, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": app.config["PUBLIC_BASE_URL"],
        "aud": tokens.AUD_CITIZEN,
        "sub": str(account_id),
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": f"test-{now}-{account_id}",
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def sign(claims: dict[str, Any], key: str = KEY_NEW, kid: str = "k2026", alg: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def account_id(citizen_headers: Any, client: Any) -> int:
    headers = citizen_headers("zhang", bound=False)
    claims = jwt.decode(headers["Authorization"][7:], options={"verify_signature": False})
    return int(claims["sub"])


def test_a_well_formed_token_is_accepted(app, client, account_id):
    assert client.get(ME, headers=bearer(sign(claims_for(app, account_id)))).status_code == 200


def test_issued_tokens_carry_kid_and_required_claims(app):
    token, claims = tokens.issue("7", tokens.AUD_CITIZEN, 600)
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "HS256", "kid": "k2026", "typ": "JWT"}
    assert set(tokens.REQUIRED_CLAIMS) <= set(claims)


def test_forged_signature_is_refused(app, client, account_id):
    token = sign(claims_for(app, account_id), key="attacker-secret-0123456789abcdefghijklmn")
    assert_401(client.get(ME, headers=bearer(token)))


def test_tampered_payload_is_refused(app, client, account_id):
    header, _, signature = sign(claims_for(app, account_id)).split(".")
    payload = (
        base64.urlsafe_b64encode(json.dumps(claims_for(app, account_id + 1)).encode())
        .rstrip(b"=")
        .decode()
    )
    assert_401(client.get(ME, headers=bearer(f"{header}.{payload}.{signature}")))


def test_expired_token_is_refused(app, client, account_id):
    past = int(time.time()) - 3600
    token = sign(claims_for(app, account_id, iat=past - 600, nbf=past - 600, exp=past))
    assert_401(client.get(ME, headers=bearer(token)), "token_expired")


def test_alg_none_is_refused(app, client, account_id):
    token = jwt.encode(
        claims_for(app, account_id), None, algorithm="none", headers={"kid": "k2026"}
    )
    assert_401(client.get(ME, headers=bearer(token)))


def test_other_hmac_algorithm_is_refused(app, client, account_id):
    token = sign(claims_for(app, account_id), alg="HS512")
    assert_401(client.get(ME, headers=bearer(token)))


def test_wrong_audience_is_refused(app, client, account_id):
    token = sign(claims_for(app, account_id, aud=tokens.AUD_STAFF))
    assert_401(client.get(ME, headers=bearer(token)))


def test_audience_list_is_refused(app, client, account_id):
    token = sign(claims_for(app, account_id, aud=[tokens.AUD_CITIZEN, tokens.AUD_STAFF]))
    assert_401(client.get(ME, headers=bearer(token)))


def test_citizen_token_is_not_a_staff_token(app, client, account_id):
    token = sign(claims_for(app, account_id))
    assert_401(client.post(STAFF_LOGOUT, headers=bearer(token)))


def test_wrong_issuer_is_refused(app, client, account_id):
    token = sign(claims_for(app, account_id, iss="https://evil.example.com"))
    assert_401(client.get(ME, headers=bearer(token)))


@pytest.mark.parametrize("claim", ["exp", "iat", "iss", "aud", "sub", "jti"])
def test_missing_required_claim_is_refused(app, client, account_id, claim):
    token = sign(claims_for(app, account_id, **{claim: None}))
    assert_401(client.get(ME, headers=bearer(token)))


def test_unknown_kid_is_refused(app, client, account_id):
    token = sign(claims_for(app, account_id), kid="k1999")
    assert_401(client.get(ME, headers=bearer(token)))


def test_token_signed_with_a_retired_key_is_still_accepted(app, client, account_id):
    token = sign(claims_for(app, account_id), key=KEY_OLD, kid="k2025")
    assert client.get(ME, headers=bearer(token)).status_code == 200


def test_rotation_keeps_sessions_then_retirement_ends_them(app, client, account_id):
    app.config["JWT_SECRETS"] = f"k2025:{KEY_OLD}"
    old_token, _ = tokens.issue(str(account_id), tokens.AUD_CITIZEN, 600)
    app.config["JWT_SECRETS"] = f"k2026:{KEY_NEW},k2025:{KEY_OLD}"  # rotate: new key signs
    assert client.get(ME, headers=bearer(old_token)).status_code == 200
    new_token, _ = tokens.issue(str(account_id), tokens.AUD_CITIZEN, 600)
    assert jwt.get_unverified_header(new_token)["kid"] == "k2026"
    app.config["JWT_SECRETS"] = f"k2026:{KEY_NEW}"  # retire the old key
    assert_401(client.get(ME, headers=bearer(old_token)))
    assert client.get(ME, headers=bearer(new_token)).status_code == 200


def test_non_numeric_subject_is_refused(app, client):
    assert_401(client.get(ME, headers=bearer(sign(claims_for(app, 0, sub="abc")))))


def test_token_for_a_missing_account_is_refused(app, client):
    assert_401(client.get(ME, headers=bearer(sign(claims_for(app, 999999)))))


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Basic abc", "Bearer not.a.jwt", "Bearer " + "a" * 5000],
    ids=["empty", "basic", "garbage", "huge"],
)
def test_malformed_authorization_is_401(client, header):
    response = client.get(ME, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.get_json()["code"] in {"login_required", "token_invalid"}


def test_access_ttl_is_capped_at_30_minutes(app):
    app.config["ACCESS_TOKEN_TTL"] = 7200
    app.config["STAFF_TOKEN_TTL"] = 7200
    assert tokens.access_ttl() == 1800
    assert tokens.staff_ttl() == 1800
    assert tokens.refresh_ttl() > tokens.access_ttl()


@pytest.mark.parametrize(
    "configured",
    ["nokid", "k1:short", f"k1:{KEY_NEW},k1:{KEY_OLD}", f":{KEY_NEW}"],
    ids=["no-colon", "short-secret", "duplicate-kid", "empty-kid"],
)
def test_bad_jwt_secrets_stop_the_app_at_start(tmp_path, configured):
    with pytest.raises(ConfigError):
        create_app(
            {
                "SECRET_KEY": "x" * 40,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}",
                "JWT_SECRETS": configured,
                "KEYS_DIR": str(tmp_path / "keys"),
                "LOG_LEVEL": "WARNING",
            }
        )
