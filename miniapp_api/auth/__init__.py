"""Citizen (WeChat) and staff identity: login, sessions, real-name binding."""

from flask_smorest import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/api/v1", description="登录、会话与实名认证")

BEARER_SCHEME = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}

from . import views  # noqa: E402,F401
