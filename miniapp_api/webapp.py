"""Serves the citizen web app (WeChat H5) from static/app/.

Pages are Jinja templates (`static/app/<page>.html`) that extend one layout
(`miniapp_api/templates/app/layout.html`: head, bar with the page's one title and the 长辈版
toggle, footer with the hotline). They get the registry's name and phone (configurable), the
asset version `v` and `care` (the 长辈版 cookie). Scripts and styles are referenced as
`js/x.js?v={{ v }}`, so they can be cached for a long time while a deployment that changes any
asset changes the version; the HTML itself is never cached (WeChat's browser caches hard).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    json,
    redirect,
    request,
    send_from_directory,
)
from jinja2 import ChoiceLoader, Environment, FileSystemLoader
from markupsafe import Markup

from .domain.purposes import purposes_payload
from .domain.stages import STAGE_LABELS
from .labels import web_words

APP_DIR = Path(__file__).resolve().parent.parent / "static" / "app"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
# Scripts every page loads, in this order (window.BDC is built up by them; no build step).
# Before them the layout loads prefs.js and words.js (the server's labels, labels.py).
BASE_SCRIPTS = ("dom.js", "format.js", "api.js", "mode.js", "common.js")
CARE_COOKIE = "bdc_care"
PAGE_RE = re.compile(r"^[a-z][a-z0-9-]{0,40}$")
ASSET_EXTENSIONS = {".css", ".js", ".svg", ".png", ".ico", ".webp"}
LONG_CACHE = "public, max-age=31536000, immutable"
SHORT_CACHE = "public, max-age=300"

bp = Blueprint("webapp", __name__)


def asset_version() -> str:
    """A short hash over the names, sizes and times of every asset (cheap: a few stat calls)."""
    digest = hashlib.sha256()
    for path in sorted(APP_DIR.rglob("*")):
        if path.is_file() and path.suffix in ASSET_EXTENSIONS:
            stat = path.stat()
            digest.update(f"{path.relative_to(APP_DIR)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:10]


def care_mode() -> bool:
    """The 长辈版 is on for this browser ("1" chosen, "w" from WeChat's care mode)."""
    return request.cookies.get(CARE_COOKIE) in {"1", "w"}


def _environment(app: Flask) -> Environment:
    """The app's Jinja environment, loading pages from static/app and the layout from templates."""
    env = app.extensions.get("webapp_jinja")
    if env is None:
        env = app.jinja_env.overlay(
            loader=ChoiceLoader([FileSystemLoader(str(APP_DIR)), FileSystemLoader(TEMPLATES_DIR)])
        )
        app.extensions["webapp_jinja"] = env
    return env


def page_context(**extra: Any) -> dict[str, Any]:
    """What every web-app template gets: registry name and phone, asset version, mode."""
    config = current_app.config
    version = asset_version()

    def scripts(*names: str) -> Markup:
        tag = Markup('<script src="/app/js/{}?v={}" defer></script>')
        return Markup("\n").join(tag.format(n, version) for n in (*BASE_SCRIPTS, *names))

    return {
        "registry_name": config["REGISTRY_NAME"],
        "registry_phone": config.get("REGISTRY_PHONE", ""),
        "registry_hours": config.get("REGISTRY_HOURS", ""),
        "v": version,
        "care": care_mode(),
        "scripts": scripts,
        "home": False,
        **extra,
    }


def render_template_page(template: str, **extra: Any) -> str:
    env = _environment(current_app._get_current_object())  # type: ignore[attr-defined]
    return env.get_template(template).render(page_context(**extra))


def render_page(name: str) -> Response:
    path = APP_DIR / f"{name}.html"
    if not PAGE_RE.match(name) or not path.is_file():
        abort(404)
    text = render_template_page(f"{name}.html", home=name == "index")
    response = Response(text, mimetype="text/html")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/")
def root():  # type: ignore[no-untyped-def]
    """The public account menu may point at the bare origin: go to the home page."""
    return redirect("/app/", code=302)


@bp.get("/favicon.ico")
def favicon():  # type: ignore[no-untyped-def]
    """Browsers ask for it on every site; a PNG is fine under this name."""
    response = send_from_directory(APP_DIR / "img", "icon.png", mimetype="image/png")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.get("/app")
def app_no_slash():  # type: ignore[no-untyped-def]
    return redirect("/app/", code=301)


@bp.get("/app/")
def index():  # type: ignore[no-untyped-def]
    return render_page("index")


@bp.get("/app/<name>.html")
def page(name: str):  # type: ignore[no-untyped-def]
    return render_page(name)


@bp.get("/app/js/words.js")
def words():  # type: ignore[no-untyped-def]
    """The server's labels and purposes for the app (`window.BDC_WORDS`, see labels.py)."""
    body = json.dumps(web_words(purposes_payload(), STAGE_LABELS), ensure_ascii=False)
    response = Response(f"window.BDC_WORDS = {body};\n", mimetype="text/javascript")
    response.headers["Cache-Control"] = SHORT_CACHE
    return response


@bp.get("/app/<any(css, js, img):folder>/<path:filename>")
def asset(folder: str, filename: str):  # type: ignore[no-untyped-def]
    if Path(filename).suffix not in ASSET_EXTENSIONS:
        abort(404)
    response = send_from_directory(APP_DIR / folder, filename)
    versioned = request.args.get("v")
    response.headers["Cache-Control"] = (
        LONG_CACHE if versioned and versioned == asset_version() else SHORT_CACHE
    )
    return response
