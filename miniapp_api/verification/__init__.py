"""Certificate and proof verification by QR, number or photo."""

from flask_smorest import Blueprint

bp = Blueprint("verification", __name__, url_prefix="/api/v1", description="证书证明核验")

from . import views  # noqa: E402,F401
from .pages import pages  # noqa: E402,F401  (registered by the app factory: /v/, /.well-known/)


def _register_demo_section() -> None:
    from ..demo.info import SECTIONS
    from .demo import verification_samples

    if verification_samples not in SECTIONS:
        SECTIONS.append(verification_samples)


_register_demo_section()
