"""The app's WeChat client: one per app, sharing access_token/jsapi_ticket through `kv`."""

from __future__ import annotations

from flask import current_app

from .extensions import kv
from .wechat import WeChatClient


def wechat_client() -> WeChatClient:
    """The configured client (real WeChat in production, the fake server in dev/tests)."""
    client = current_app.extensions.get("wechat_client")
    if client is None:
        client = WeChatClient.from_config(current_app.config, kv)
        current_app.extensions["wechat_client"] = client
    return client
