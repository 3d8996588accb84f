"""The citizen service of the city Real Estate Registration Center (Flask app)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask.sessions import SessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import load_config

ROOT = Path(__file__).resolve().parent.parent


class StatelessSessions(SessionInterface):
    """The service keeps no cookie session (citizens and staff carry JWTs), so Flask need not
    build a signing serializer and parse cookies on every request."""

    def open_session(self, app: Flask, request: Any) -> Any:
        return self.make_null_session(app)

    def save_session(self, app: Flask, session: Any, response: Any) -> None:
        return None


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. `config` overrides what the environment says (tests use it)."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        static_folder=str(ROOT / "static"),
        static_url_path="/static",
    )
    app.config.update(load_config(Path(app.instance_path), config))
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.session_interface = StatelessSessions()

    from .observability import configure_logging, init_request_hooks

    configure_logging(app.config["LOG_LEVEL"])
    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]

    _init_extensions(app)
    init_request_hooks(app)
    from .inputs import init_app as init_input_rules

    init_input_rules(app)  # bounded <int:...> converter: before any route is added
    _register_blueprints(app)

    from .errors import register_error_handlers

    register_error_handlers(app)

    from .cli import register_cli

    register_cli(app)
    return app


def _init_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  (models must be imported before migrations see them)
    from .db_setup import configure_engine_events
    from .extensions import api, db, kv, limiter, migrate

    db.init_app(app)
    with app.app_context():
        configure_engine_events(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    api.init_app(app)
    kv.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")
    # Redis down: limits count per process in memory until it answers again (flask-limiter
    # checks it with a backoff); its commands give up after REDIS_TIMEOUT.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    if app.config["REDIS_URL"]:
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", kv.client_options())
    limiter.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from . import auth, handover, licenses, partners, proofs, staff, verification, webapp
    from .extensions import api
    from .ops import bp as ops_bp

    app.register_blueprint(ops_bp)
    app.register_blueprint(webapp.bp)
    for module in (auth, verification, proofs, licenses, handover, staff, partners):
        api.register_blueprint(module.bp)
    pages = getattr(verification, "pages", None)
    if pages is not None:
        app.register_blueprint(pages)
