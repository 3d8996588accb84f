"""gunicorn settings: `gunicorn wsgi:app` picks this file up from the working directory.

Values can be overridden on the command line or with GUNICORN_CMD_ARGS.

Memory (docs/performance.md, "Memory"): the app is imported and the document renderer warmed
up once, in the master (`preload_app`), and the workers are forked from it, so the imported
code, the font tables and the warm renderer caches are shared copy-on-write instead of being
built again in every worker. `PRELOAD_APP=false` goes back to loading everything per worker
(then a HUP also reloads the code; with preloading, deploy code changes with a restart).
"""

import gc
import multiprocessing
import os


def _flag(name: str, default: str) -> bool:
    return os.environ.get(name, default).strip().lower() in {"1", "true", "yes"}


bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", str(multiprocessing.cpu_count() * 2 + 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
preload_app = _flag("PRELOAD_APP", "true")
timeout = 30
graceful_timeout = 20
keepalive = 5
# One JSON line per request is written by the app itself; gunicorn's access log would repeat it.
accesslog = None
errorlog = "-"
# Do not trust X-Forwarded-* at the gunicorn level: the app's PROXY_COUNT decides.
forwarded_allow_ips = "127.0.0.1"

_WARM_UP = _flag("RENDER_WARM_UP", "true")


def when_ready(server):
    """Master, before the first fork: warm the renderer once and freeze what it built."""
    if not preload_app:
        return
    app = server.app.wsgi()
    if _WARM_UP:
        from miniapp_api.rendering import warm_up

        try:
            warm_up(app.config.get("REGISTRY_NAME"))
        except Exception as exc:  # e.g. no CJK font: document requests will say so
            server.log.warning("document renderer warm-up failed: %r", exc)
    db = getattr(app, "extensions", {}).get("sqlalchemy")
    if db is not None:
        with app.app_context():
            db.engine.dispose()  # no connection may be inherited by the workers
    # Objects created so far are never collected; moving them out of the collector's
    # generations keeps a collection in a worker from writing to (and copying) their pages.
    gc.collect()
    gc.freeze()


def post_fork(server, worker):
    """Worker: without preloading, load CJK fonts and glyph caches before the first request."""
    if _WARM_UP and not preload_app:
        from miniapp_api.rendering import warm_up

        warm_up()
