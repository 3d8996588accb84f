"""Partner API for banks, developers and agencies (server to server, `X-API-Key`)."""

from flask_smorest import Blueprint

bp = Blueprint(
    "partners",
    __name__,
    url_prefix="/api/v1/partner",
    description="合作机构接口（银行、开发企业、中介机构）：批量核验、本企业项目进度",
)

API_KEY_SCHEME = {"type": "apiKey", "in": "header", "name": "X-API-Key"}

from . import views  # noqa: E402,F401
