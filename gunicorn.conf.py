"""gunicorn settings: `gunicorn wsgi:app` picks this file up from the working directory.

Values can be overridden on the command line or with GUNICORN_CMD_ARGS.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", str(multiprocessing.cpu_count() * 2 + 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = 30
graceful_timeout = 20
keepalive = 5
# One JSON line per request is written by the app itself; gunicorn's access log would repeat it.
accesslog = None
errorlog = "-"
# Do not trust X-Forwarded-* at the gunicorn level: the app's PROXY_COUNT decides.
forwarded_allow_ips = "127.0.0.1"


def post_fork(server, worker):
    """Load CJK fonts and glyph caches before the first document request reaches a worker."""
    if os.environ.get("RENDER_WARM_UP", "true").lower() in {"1", "true", "yes"}:
        from miniapp_api.rendering import warm_up

        warm_up()
