"""Certificate and proof verification by QR, number or photo."""

from flask_smorest import Blueprint

bp = Blueprint("verification", __name__, url_prefix="/api/v1", description="证书证明核验")

# views: the API routes; offline: /sw.js and the X-Keyset-Version hooks on the blueprints
from . import offline, views  # noqa: E402,F401
