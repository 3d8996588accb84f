"""Configuration read from environment variables (see README, "Configuration")."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any


class ConfigError(RuntimeError):
    """Raised when the service cannot start with the configuration it was given."""


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _dev_secret(instance_path: Path) -> str:
    """A development secret generated once into instance/ (never committed)."""
    instance_path.mkdir(parents=True, exist_ok=True)
    path = instance_path / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def load_config(instance_path: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the app configuration from the environment plus explicit overrides."""
    env = os.environ
    overrides = dict(overrides or {})
    app_env = overrides.get("APP_ENV", env.get("APP_ENV", "development"))
    production = app_env == "production"

    secret = overrides.get("SECRET_KEY") or env.get("SECRET_KEY")
    if not secret:
        if production:
            raise ConfigError(
                "SECRET_KEY is not set. In production (APP_ENV=production) the service "
                "refuses to start without it: set SECRET_KEY to a long random string "
                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)."
            )
        secret = _dev_secret(instance_path)
    elif production and len(secret) < 32:
        raise ConfigError("SECRET_KEY is too short for production: use at least 32 characters.")

    default_db = f"sqlite:///{instance_path / 'registry.sqlite3'}"
    config: dict[str, Any] = {
        "APP_ENV": app_env,
        "SECRET_KEY": secret,
        "PII_KEY": env.get("PII_KEY"),
        "SQLALCHEMY_DATABASE_URI": env.get("DATABASE_URL", default_db),
        "REDIS_URL": env.get("REDIS_URL") or None,
        # Seconds a Redis command (or connect) may take before the call fails (docs/deployment.md).
        "REDIS_TIMEOUT": float(env.get("REDIS_TIMEOUT", "0.5")),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        "REGISTRY_NAME": env.get("REGISTRY_NAME", "汨罗市不动产登记中心"),
        "REGISTRY_REGION_CODE": env.get("REGISTRY_REGION_CODE", "430681"),
        "REGISTRY_ISSUER_CODE": env.get("REGISTRY_ISSUER_CODE", "12430681MB1D5443XD"),
        "REGISTRY_PROVINCE_ABBR": env.get("REGISTRY_PROVINCE_ABBR", "湘"),
        "REGISTRY_CITY": env.get("REGISTRY_CITY", "汨罗市"),
        "REGISTRY_PHONE": env.get("REGISTRY_PHONE", "0730-5222222"),
        "REGISTRY_HOURS": env.get("REGISTRY_HOURS", "周一至周五 8:30–12:00，14:30–17:30"),
        "PORT": int(env.get("PORT", "8000")),
        "KEYS_DIR": env.get("KEYS_DIR", str(instance_path / "keys")),
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", str(6 * 1024 * 1024))),
        "MAX_JSON_BYTES": int(env.get("MAX_JSON_BYTES", str(64 * 1024))),
        "RATELIMIT_ENABLED": _bool(env.get("RATELIMIT_ENABLED"), True),
        "RATELIMIT_EXEMPT_NETWORKS": [
            n.strip() for n in env.get("RATELIMIT_EXEMPT_NETWORKS", "").split(",") if n.strip()
        ],
        "PROXY_COUNT": int(env.get("PROXY_COUNT", "0")),
        "WECHAT_OPEN_BASE": env.get("WECHAT_OPEN_BASE", "https://open.weixin.qq.com"),
        "WECHAT_API_BASE": env.get("WECHAT_API_BASE", "https://api.weixin.qq.com"),
        "WECHAT_APPID": env.get("WECHAT_APPID", "wx0000000000demo"),
        "WECHAT_SECRET": env.get("WECHAT_SECRET", "demo-secret"),
        "WECHAT_TOKEN": env.get("WECHAT_TOKEN", "demo-token"),
        "WECHAT_TEMPLATE_HANDOVER": env.get("WECHAT_TEMPLATE_HANDOVER", "handover-progress"),
        "ACCESS_TOKEN_TTL": int(env.get("ACCESS_TOKEN_TTL", "900")),
        "REFRESH_TOKEN_TTL": int(env.get("REFRESH_TOKEN_TTL", str(14 * 24 * 3600))),
        "STAFF_TOKEN_TTL": int(env.get("STAFF_TOKEN_TTL", "1800")),
        "STAFF_IDLE_TIMEOUT": int(env.get("STAFF_IDLE_TIMEOUT", "900")),
        "JWT_SECRETS": env.get("JWT_SECRETS", ""),
        # Citizen login, real-name binding and staff login (docs/auth.md).
        "LOGIN_STATE_TTL": int(env.get("LOGIN_STATE_TTL", "600")),
        "LOGIN_CALLBACK_PATH": env.get("LOGIN_CALLBACK_PATH", "/app/login-callback.html"),
        "LOGIN_DEFAULT_NEXT": env.get("LOGIN_DEFAULT_NEXT", "/app/"),
        "LOGIN_COOKIE_REQUIRED": _bool(env.get("LOGIN_COOKIE_REQUIRED"), False),
        "AUTH_RATE_LIMIT": env.get("AUTH_RATE_LIMIT", "60 per minute"),
        "IDENTITY_PROVIDER": env.get(
            "IDENTITY_PROVIDER", "miniapp_api.auth.identity:RegistryIdentityProvider"
        ),
        "IDENTITY_BIND_LIMIT_ACCOUNT": env.get(
            "IDENTITY_BIND_LIMIT_ACCOUNT", "5 per 10 minutes;20 per day"
        ),
        "IDENTITY_BIND_LIMIT_CLIENT": env.get("IDENTITY_BIND_LIMIT_CLIENT", "30 per hour"),
        "STAFF_LOGIN_RATE_LIMIT": env.get("STAFF_LOGIN_RATE_LIMIT", "20 per minute"),
        "STAFF_MAX_FAILED_LOGINS": int(env.get("STAFF_MAX_FAILED_LOGINS", "5")),
        "STAFF_LOCKOUT_SECONDS": int(env.get("STAFF_LOCKOUT_SECONDS", "900")),
        # argon2id cost of staff password hashes (argon2-cffi defaults, RFC 9106 2nd choice).
        "ARGON2_TIME_COST": int(env.get("ARGON2_TIME_COST", "3")),
        "ARGON2_MEMORY_COST": int(env.get("ARGON2_MEMORY_COST", "65536")),  # KiB
        "ARGON2_PARALLELISM": int(env.get("ARGON2_PARALLELISM", "4")),
        "WECHAT_PUSH_MAX_BYTES": int(env.get("WECHAT_PUSH_MAX_BYTES", str(64 * 1024))),
        # Verification rate limits per client (docs/verification.md).
        "VERIFY_RATE_LIMIT": env.get("VERIFY_RATE_LIMIT", "60 per minute;1000 per hour"),
        "VERIFY_STRICT_RATE_LIMIT": env.get(
            "VERIFY_STRICT_RATE_LIMIT", "10 per minute;100 per hour"
        ),
        # Header-free download links of copies and proofs (seconds, at most 600).
        "DOWNLOAD_LINK_TTL": min(600, int(env.get("DOWNLOAD_LINK_TTL", "300"))),
        # 亮证: seconds between pictures; each picture's QR verifies twice that (docs/webapp.md).
        "LICENSE_SHOW_REFRESH_SECONDS": int(env.get("LICENSE_SHOW_REFRESH_SECONDS", "60")),
        # WeChat notification outbox delivery (docs/handover.md).
        "NOTIFY_LEASE_SECONDS": int(env.get("NOTIFY_LEASE_SECONDS", "60")),
        "NOTIFY_MAX_ATTEMPTS": int(env.get("NOTIFY_MAX_ATTEMPTS", "5")),
        "NOTIFY_BACKOFF_BASE": float(env.get("NOTIFY_BACKOFF_BASE", "30")),
        "NOTIFY_BACKOFF_CAP": float(env.get("NOTIFY_BACKOFF_CAP", "3600")),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # flask-smorest / OpenAPI
        "API_TITLE": "不动产登记中心市民服务 API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "/docs",
        "OPENAPI_SWAGGER_UI_URL": "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/",
        "JSON_AS_ASCII": False,
    }
    config.update(overrides)
    if config.get("SQLALCHEMY_DATABASE_URI", "").startswith("postgresql://"):
        # psycopg 3 is the driver we ship; accept the plain libpq-style URL too.
        config["SQLALCHEMY_DATABASE_URI"] = config["SQLALCHEMY_DATABASE_URI"].replace(
            "postgresql://", "postgresql+psycopg://", 1
        )
    config["PRODUCTION"] = config["APP_ENV"] == "production"
    return config
