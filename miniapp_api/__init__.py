"""The citizen service of the city Real Estate Registration Center (Flask app).

All wiring is here: extensions, blueprints and pages, document kinds, CLI command groups.
Features never register themselves on import (see docs/architecture.md).
"""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path
from typing import Any

from apispec.exceptions import DuplicateComponentNameError
from flask import Flask
from flask.sessions import SessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from . import (
    alerts,
    applications,
    auth,
    console,
    error_pages,
    handover,
    kinds,
    licenses,
    models,
    partners,
    proofs,
    staff,
    unit_of_work,
    utilities,
    verification,
    webapp,
)
from .alerts import cli as alerts_cli
from .applications import cli as applications_cli
from .auth import cli as auth_cli
from .auth import tokens
from .auth.wechat_views import push_bp
from .config import load_config
from .database import db
from .db_setup import configure_engine_events
from .demo import cli as demo_cli
from .errors import register_error_handlers
from .extensions import api, kv, limiter, migrate
from .handover import cli as handover_cli
from .inputs import init_app as init_input_rules
from .licenses.showing import LICENSE_VIEW
from .observability import configure_logging, init_request_hooks
from .ops import bp as ops_bp
from .ops import cli as ops_cli
from .ops import keys_cli
from .partners import cli as partners_cli
from .utilities import cli as utilities_cli
from .verification.pages import pages as verification_pages

ROOT = Path(__file__).resolve().parent.parent
assert models  # models must be imported before migrations see them


class StatelessSessions(SessionInterface):
    """The service keeps no cookie session (citizens and staff carry JWTs), so Flask need not
    build a signing serializer and parse cookies on every request."""

    def open_session(self, app: Flask, request: Any) -> Any:
        return self.make_null_session(app)

    def save_session(self, app: Flask, session: Any, response: Any) -> None:
        return None


class App(Flask):
    """Flask, remembering for each hook and view whether it is a coroutine function: Flask
    asks ``inspect.iscoroutinefunction`` for every one of them on every request, which was a
    measurable part of the per-request frame (docs/performance.md, issue #17)."""

    def ensure_sync(self, func: Any) -> Any:
        cache: dict[Any, Any] = self.__dict__.setdefault("_sync_functions", {})
        wrapped = cache.get(func)
        if wrapped is None:
            wrapped = cache[func] = super().ensure_sync(func)
        return wrapped


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. `config` overrides what the environment says (tests use it)."""
    app = App(
        __name__,
        instance_path=str(ROOT / "instance"),
        static_folder=str(ROOT / "static"),
        static_url_path="/static",
    )
    app.config.update(load_config(Path(app.instance_path), config))
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.session_interface = StatelessSessions()
    tokens.parse_secrets(app.config.get("JWT_SECRETS") or "")  # ConfigError when bad

    configure_logging(app.config["LOG_LEVEL"])
    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]

    _init_extensions(app)
    kinds.init_app(
        app,
        (
            kinds.PROPERTY_CERTIFICATE,
            kinds.REGISTRATION_CERTIFICATE,
            kinds.LICENSE_COPY,
            kinds.HOUSING_PROOF,
            kinds.APPLICATION_RECEIPT,  # 受理凭证 of an accepted application
            LICENSE_VIEW,  # 亮证: header-free picture links only (licenses/showing.py)
        ),
    )
    init_request_hooks(app)
    unit_of_work.init_app(app)  # after the request hooks: commits before the access log line
    init_input_rules(app)  # bounded <int:...> converter: before any route is added
    _register_blueprints(app)
    _init_features(app)
    register_error_handlers(app)
    error_pages.init_app(app)  # browsers get HTML error pages (content negotiation)
    _register_cli(app)
    return app


def _init_extensions(app: Flask) -> None:
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


SECURITY_SCHEMES = {"bearerAuth": auth.BEARER_SCHEME, "PartnerApiKey": partners.API_KEY_SCHEME}


def _register_blueprints(app: Flask) -> None:
    """Pages first, then the API blueprints in the order of the OpenAPI document's tags."""
    app.register_blueprint(ops_bp)
    app.register_blueprint(webapp.bp)
    for name, scheme in SECURITY_SCHEMES.items():
        with suppress(DuplicateComponentNameError):
            api.spec.components.security_scheme(name, scheme)
    for blueprint in (
        push_bp,  # /wechat/callback (outside /api/: WeChat calls it with XML bodies)
        auth.bp,
        verification.bp,
        proofs.bp,
        licenses.bp,
        handover.bp,
        staff.bp,
        partners.bp,
        applications.bp,  # 一窗办事
        alerts.bp,  # 产权变动提醒
        utilities.bp,  # 水电气联动过户
    ):
        api.register_blueprint(blueprint)
    app.register_blueprint(verification_pages)  # /v/{TOKEN}, QR images, /.well-known/jwks.json
    app.register_blueprint(console.bp)  # the staff console's pages under /staff/


def _init_features(app: Flask) -> None:
    """Settings of the features and their listeners on each other's events (per app)."""
    applications.init_app(app)  # settings
    handover.init_app(app)  # a transfer application moves its unit's handover case
    utilities.init_app(app)  # settings; tasks on application status changes
    alerts.init_app(app)  # alerts on applications, encumbrances and certificates; holds
    console.init_app(app)  # its own cookie session (path /staff) and CSRF


def _register_cli(app: Flask) -> None:
    for register in (
        auth_cli.register,
        keys_cli.register,
        partners_cli.register,
        demo_cli.register,
        ops_cli.register,
        handover_cli.register,
        applications_cli.register,
        utilities_cli.register,
        alerts_cli.register,
    ):
        register(app)
