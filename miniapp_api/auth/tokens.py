"""JWT sessions (PyJWT). The algorithm is fixed here, never taken from a token.

Three audiences keep token kinds apart: a refresh token can never be used as an access
token, nor a citizen's token as a staff token. Signing keys carry a `kid`; JWT_SECRETS
("kid1:secret1,kid2:secret2", the first one signs) lets keys rotate without logging anyone out.

Revocation is shared by every worker through the key-value store (Redis when configured):
`revoke(claims)` denies one token by its `jti`; `revoke_family(family_id)` denies every
access token of a citizen's login (claim `fam`) at once.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

import jwt
from flask import current_app

from ..config import ConfigError
from ..errors import Problem
from ..extensions import kv

ALGORITHM = "HS256"
AUD_CITIZEN = "bdc:citizen"
AUD_REFRESH = "bdc:citizen-refresh"
AUD_STAFF = "bdc:staff"
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub", "jti"]
LEEWAY = 10
# Access tokens (citizen and staff) never live longer than this, whatever the configuration.
MAX_ACCESS_TTL = 1800
MIN_SECRET_BYTES = 32

_INVALID = ("token_invalid", "登录凭证无效，请重新登录")


def parse_secrets(configured: str) -> list[tuple[str, str]]:
    """Parse JWT_SECRETS ("kid1:secret1,kid2:secret2"); raise ConfigError when malformed."""
    keys: list[tuple[str, str]] = []
    for item in (configured or "").split(","):
        if not item.strip():
            continue
        kid, sep, secret = item.partition(":")
        kid, secret = kid.strip(), secret.strip()
        if not sep or not kid or not secret:
            raise ConfigError("JWT_SECRETS must look like 'kid1:secret1,kid2:secret2'.")
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise ConfigError(
                f"JWT_SECRETS: the secret of kid {kid!r} is shorter than {MIN_SECRET_BYTES} bytes."
            )
        if any(kid == known for known, _ in keys):
            raise ConfigError(f"JWT_SECRETS: kid {kid!r} appears twice.")
        keys.append((kid, secret))
    return keys


def _keys() -> list[tuple[str, str]]:
    keys = parse_secrets(current_app.config.get("JWT_SECRETS") or "")
    if not keys:
        derived = hashlib.sha256(b"jwt:" + current_app.config["SECRET_KEY"].encode()).hexdigest()
        keys.append(("k1", derived))
    return keys


def issuer() -> str:
    return current_app.config["PUBLIC_BASE_URL"]


def access_ttl() -> int:
    """Citizen access-token lifetime in seconds (at most 30 minutes)."""
    return max(60, min(int(current_app.config["ACCESS_TOKEN_TTL"]), MAX_ACCESS_TTL))


def staff_ttl() -> int:
    """Staff token lifetime in seconds (at most 30 minutes)."""
    return max(60, min(int(current_app.config["STAFF_TOKEN_TTL"]), MAX_ACCESS_TTL))


def refresh_ttl() -> int:
    """Citizen refresh-token lifetime in seconds (always longer than an access token)."""
    return max(int(current_app.config["REFRESH_TOKEN_TTL"]), access_ttl() + 60)


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
    token = jwt.encode(payload, secret, algorithm=ALGORITHM, headers={"kid": kid, "typ": "JWT"})
    return token, payload


def decode(token: str, audience: str) -> dict[str, Any]:
    """Decode and check a token; any failure is a 401 problem with a stable code."""
    if not isinstance(token, str) or not token or len(token) > 4096:
        raise Problem(401, *_INVALID)
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise Problem(401, *_INVALID) from exc
    kid = header.get("kid")
    secret = dict(_keys()).get(kid) if isinstance(kid, str) else None
    if secret is None or header.get("alg") != ALGORITHM:
        raise Problem(401, *_INVALID)
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer(),
            options={"require": REQUIRED_CLAIMS, "strict_aud": True},
            leeway=LEEWAY,
        )
    except jwt.ExpiredSignatureError as exc:
        raise Problem(401, "token_expired", "登录已过期，请重新登录") from exc
    except jwt.PyJWTError as exc:
        raise Problem(401, *_INVALID) from exc
    if not isinstance(claims.get("jti"), str) or not isinstance(claims.get("sub"), str):
        raise Problem(401, *_INVALID)
    family = claims.get("fam")
    denied = [f"deny:{claims['jti']}"]
    if isinstance(family, str):
        denied.append(f"deny-fam:{family}")
    if kv.any_present(denied, durable=True):
        raise Problem(401, "token_revoked", "您已退出登录，请重新登录")
    return claims


def revoke(claims: dict[str, Any]) -> None:
    """Deny a token on every worker until it would have expired anyway."""
    ttl = max(1, int(claims["exp"]) - int(time.time()) + LEEWAY + 5)
    kv.set(f"deny:{claims['jti']}", "1", ttl, durable=True)


def is_revoked(jti: str) -> bool:
    return kv.get(f"deny:{jti}", durable=True) is not None


def revoke_family(family_id: str) -> None:
    """Deny every token carrying `fam=family_id` on every worker.

    Access tokens live at most MAX_ACCESS_TTL, so the mark only has to outlive them; refresh
    tokens of the family are also revoked in the database (table refresh_token).
    """
    kv.set(f"deny-fam:{family_id}", "1", MAX_ACCESS_TTL + LEEWAY + 60, durable=True)


def is_family_revoked(family_id: str) -> bool:
    return kv.get(f"deny-fam:{family_id}", durable=True) is not None
