"""交房即交证 progress for buyers and the public; ``init_app`` lets a developer's transfer
application of a unit with a case move that case (``follow.py``)."""

from flask import Flask
from flask_smorest import Blueprint

bp = Blueprint("handover", __name__, url_prefix="/api/v1", description="交房即交证")

from . import views  # noqa: E402,F401


def init_app(app: Flask) -> None:
    from . import follow

    follow.init_app(app)
