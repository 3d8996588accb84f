"""Serves the citizen web app (WeChat H5) from static/app/.

Pages are plain HTML files with three placeholders filled in here: the registry's name and
phone (configurable) and an asset version. Scripts and styles are referenced as
`js/x.js?v={{v}}`, so they can be cached for a long time while a deployment that changes any
asset changes the version; the HTML itself is never cached (WeChat's browser caches hard).
"""

from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    json,
    redirect,
    request,
    send_from_directory,
)

from .domain.purposes import purposes_payload
from .domain.stages import STAGE_LABELS
from .labels import web_words

APP_DIR = Path(__file__).resolve().parent.parent / "static" / "app"
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


def render_page(name: str) -> Response:
    path = APP_DIR / f"{name}.html"
    if not PAGE_RE.match(name) or not path.is_file():
        abort(404)
    text = path.read_text(encoding="utf-8")
    config = current_app.config
    text = (
        text.replace("{{registry_name}}", html.escape(config["REGISTRY_NAME"]))
        .replace("{{registry_phone}}", html.escape(config.get("REGISTRY_PHONE", "")))
        .replace("{{v}}", asset_version())
    )
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
