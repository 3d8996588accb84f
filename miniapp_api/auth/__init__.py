"""Citizen (WeChat) and staff identity: login, sessions, real-name binding."""

from typing import Any

from flask_smorest import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/api/v1", description="登录、会话与实名认证")

from . import views  # noqa: E402,F401


@bp.record_once
def _on_register(state: Any) -> None:
    """Check the signing keys at start-up, document bearer auth, add /wechat/callback."""
    from contextlib import suppress

    from apispec.exceptions import DuplicateComponentNameError

    from ..extensions import api
    from . import tokens
    from .wechat_views import push_bp

    tokens.parse_secrets(state.app.config.get("JWT_SECRETS") or "")  # ConfigError when bad
    with suppress(DuplicateComponentNameError):
        api.spec.components.security_scheme(
            "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
        )
    api.register_blueprint(push_bp)
