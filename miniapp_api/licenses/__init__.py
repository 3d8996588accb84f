"""Electronic licenses and annotated copies."""

from flask_smorest import Blueprint

bp = Blueprint("licenses", __name__, url_prefix="/api/v1", description="电子证照查询下载")

from . import purpose_preview, views  # noqa: E402,F401
