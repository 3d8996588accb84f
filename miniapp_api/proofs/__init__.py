"""Housing proofs (有房/无房证明)."""

from flask_smorest import Blueprint

bp = Blueprint("proofs", __name__, url_prefix="/api/v1", description="房屋证明查询")

from . import views  # noqa: E402,F401
