"""交房即交证 progress for buyers and the public."""

from flask_smorest import Blueprint

bp = Blueprint("handover", __name__, url_prefix="/api/v1", description="交房即交证")

from . import views  # noqa: E402,F401
