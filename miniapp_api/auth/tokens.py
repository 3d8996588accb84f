"""JWT sessions (PyJWT). The algorithm is fixed here, never taken from a token.

Three audiences keep token kinds apart: a refresh token can never be used as an access
token, nor a citizen's token as a staff token. Signing keys carry a `kid`; JWT_SECRETS
("kid1:secret1,kid2:secret2", the first one signs) lets keys rotate without logging anyone out.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

import jwt
from flask import current_app

from ..errors import Problem
from ..extensions import kv

ALGORITHM = "HS256"
AUD_CITIZEN = "bdc:citizen"
AUD_REFRESH = "bdc:citizen-refresh"
AUD_STAFF = "bdc:staff"
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub", "jti"]


def _keys() -> list[tuple[str, str]]:
    configured = current_app.config.get("JWT_SECRETS") or ""
    keys = []
    for item in configured.split(","):
        if ":" in item:
            kid, secret = item.split(":", 1)
            keys.append((kid.strip(), secret.strip()))
    if not keys:
        derived = hashlib.sha256(b"jwt:" + current_app.config["SECRET_KEY"].encode()).hexdigest()
        keys.append(("k1", derived))
    return keys


def issuer() -> str:
    return current_app.config["PUBLIC_BASE_URL"]


def issue(subject: str, audience: str, ttl: int, **claims: Any) -> tuple[str, dict[str, Any]]:
    now = int(time.time())
    payload = {
        "iss": issuer(),
        "aud": audience,
        "sub": subject,
        "iat": now,
        "nbf": now,
        "exp": now + ttl,
        "jti": secrets.token_urlsafe(16),
        **claims,
    }
    kid, secret = _keys()[0]
    token = jwt.encode(payload, secret, algorithm=ALGORITHM, headers={"kid": kid})
    return token, payload


def decode(token: str, audience: str) -> dict[str, Any]:
    """Decode and check a token; any failure is a 401 problem with a stable code."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise Problem(401, "token_invalid", "登录凭证无效，请重新登录") from exc
    secret = dict(_keys()).get(header.get("kid", ""))
    if secret is None or header.get("alg") != ALGORITHM:
        raise Problem(401, "token_invalid", "登录凭证无效，请重新登录")
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer(),
            options={"require": REQUIRED_CLAIMS},
            leeway=10,
        )
    except jwt.ExpiredSignatureError as exc:
        raise Problem(401, "token_expired", "登录已过期，请重新登录") from exc
    except jwt.PyJWTError as exc:
        raise Problem(401, "token_invalid", "登录凭证无效，请重新登录") from exc
    if is_revoked(claims["jti"]):
        raise Problem(401, "token_revoked", "您已退出登录，请重新登录")
    return claims


def revoke(claims: dict[str, Any]) -> None:
    """Deny a token on every worker until it would have expired anyway."""
    ttl = max(1, int(claims["exp"]) - int(time.time()) + 15)
    kv.set(f"deny:{claims['jti']}", "1", ttl)


def is_revoked(jti: str) -> bool:
    return kv.get(f"deny:{jti}") is not None
