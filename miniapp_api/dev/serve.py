"""`make run`: migrate, seed the demo registry and serve it with a local fake WeChat.

Development only: production runs `gunicorn wsgi:app` against the real WeChat.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    port = int(os.environ.get("PORT", "8000"))
    wechat_port = int(os.environ.get("FAKE_WECHAT_PORT", "8010"))
    os.environ.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{port}")
    os.environ.setdefault("WECHAT_OPEN_BASE", f"http://127.0.0.1:{wechat_port}")
    os.environ.setdefault("WECHAT_API_BASE", f"http://127.0.0.1:{wechat_port}")

    from flask_migrate import upgrade

    from miniapp_api import create_app
    from miniapp_api.database import db
    from miniapp_api.demo.info import wechat_users
    from miniapp_api.demo.seed import seed_demo
    from miniapp_api.dev.fake_wechat import FakeWeChat
    from miniapp_api.ops.backfill import issue_missing_certificate_documents

    app = create_app()
    with app.app_context():
        upgrade()
        result = seed_demo()
        print("demo data:", "already present" if not result.get("created") else result)
        if issue_missing_certificate_documents():  # a database seeded before tokens existed
            db.session.commit()
    from miniapp_api.rendering import warm_up

    warm_up(app.config["REGISTRY_NAME"])  # first document download is then fast

    fake = FakeWeChat(
        users=wechat_users(),
        appid=app.config["WECHAT_APPID"],
        secret=app.config["WECHAT_SECRET"],
        port=wechat_port,
    )
    print("fake WeChat on", fake.start())
    print(f"serving on http://127.0.0.1:{port}  (demo citizens: flask --app wsgi demo-info)")
    sys.stdout.flush()
    try:
        app.run(host="127.0.0.1", port=port, threaded=True, use_reloader=False)
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
