"""Partner API for banks, developers and agencies."""

from flask_smorest import Blueprint

bp = Blueprint("partners", __name__, url_prefix="/api/v1/partner", description="合作机构接口")

from . import views  # noqa: E402,F401
