"""`make run`: migrate, seed the demo registry and serve it with a local fake WeChat.

Development only: production runs `gunicorn wsgi:app` against the real WeChat.
"""

from __future__ import annotations

import logging
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
    from miniapp_api.demo.accounts import bind_demo_citizens
    from miniapp_api.demo.features import seed_features
    from miniapp_api.demo.info import wechat_users
    from miniapp_api.demo.seed import seed_demo
    from miniapp_api.dev.fake_wechat import FakeWeChat
    from miniapp_api.ops.backfill import issue_missing_certificate_documents

    app = create_app()
    # Font subsetting logs one line per table: not what a newcomer needs to read.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    with app.app_context():
        upgrade()
        result = seed_demo()
        print("demo data:", "already present" if not result.get("created") else result)
        if issue_missing_certificate_documents():  # a database seeded before tokens existed
            db.session.commit()
        bound = bind_demo_citizens()  # log in as any demo citizen, already real-name bound
        if any(seed_features().values()):  # applications, utilities, alerts (once)
            db.session.commit()
        sample = _sample_link()
    from miniapp_api.rendering import warm_up

    warm_up(app.config["REGISTRY_NAME"])  # first document download is then fast

    fake = FakeWeChat(
        users=wechat_users(),
        appid=app.config["WECHAT_APPID"],
        secret=app.config["WECHAT_SECRET"],
        port=wechat_port,
    )
    fake_url = fake.start()
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", port, app, threaded=True)
    base = f"http://127.0.0.1:{port}"
    # The URLs come last, after every start-up line.
    print(
        "\n"
        f"  citizen web app   {base}/app/  (tap 微信登录, then choose a citizen)\n"
        f"  demo citizens     {', '.join(bound)} (already bound); 新用户（未实名） to try binding\n"
        f"  verification page {sample or base + '/v/…'}\n"
        f"  API docs          {base}/api/docs\n"
        f"  fake WeChat       {fake_url}\n"
        "  more: flask --app wsgi demo-info    stop: Ctrl+C\n"
    )
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        fake.stop()


def _sample_link() -> str | None:
    """One sample /v/ link from demo-info (when the verification section is there)."""
    from miniapp_api.demo.info import demo_info

    samples = demo_info().get("verification", {}).get("samples", {})
    sample = samples.get("authentic") or next(iter(samples.values()), None)
    return sample.get("url") if isinstance(sample, dict) else None


if __name__ == "__main__":
    main()
