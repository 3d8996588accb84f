"""Staff side: certificates, encumbrances, handover cases, imports."""

from flask_smorest import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/api/v1/staff", description="登记中心工作人员")

from . import certificates, handover  # noqa: E402,F401
