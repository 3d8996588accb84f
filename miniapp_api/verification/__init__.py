"""Certificate and proof verification by QR, number or photo."""

from flask_smorest import Blueprint

bp = Blueprint("verification", __name__, url_prefix="/api/v1", description="证书证明核验")

from . import views  # noqa: E402,F401
from .pages import pages  # noqa: E402,F401  (registered by the app factory: /v/, /.well-known/)


def _register_demo_section() -> None:
    from ..demo.info import SECTIONS
    from ..dev.serve import STARTUP_HOOKS
    from .demo import issue_missing_documents, verification_samples

    if verification_samples not in SECTIONS:
        SECTIONS.append(verification_samples)
    if issue_missing_documents not in STARTUP_HOOKS:
        STARTUP_HOOKS.append(issue_missing_documents)  # `make run` on a database seeded earlier


_register_demo_section()

from . import offline  # noqa: E402,F401  (/sw.js, X-Keyset-Version: hooks on the blueprints)
