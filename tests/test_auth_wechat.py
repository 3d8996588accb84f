"""WeChat endpoints: JS-SDK config (documented example) and the server callback."""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

import pytest

JSSDK = "/api/v1/wechat/jssdk-config"
CALLBACK = "/wechat/callback"
# WeChat's documented JS-SDK signature example (JS-SDK appendix 1).
DOC_TICKET = (
    "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg"
)
DOC_NONCE = "Wm3WZYTPz0wzccnW"
DOC_TIMESTAMP = 1414587457
DOC_URL = "http://mp.weixin.qq.com?params=value"
DOC_SIGNATURE = "0f9de62fce790f9a083d5c99e95740ceb90c27ed"


@pytest.fixture
def config_overrides(wechat_config: dict[str, Any]) -> dict[str, Any]:
    return {**wechat_config}


@pytest.fixture(autouse=True)
def _fresh_fake(fake_wechat: Any) -> None:
    fake_wechat.reset()


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()  # noqa: S324 (WeChat's protocol)


def signed(app: Any, timestamp: str = "1700000000", nonce: str = "8051") -> dict[str, str]:
    token = app.config["WECHAT_TOKEN"]
    return {
        "signature": sha1("".join(sorted([token, timestamp, nonce]))),
        "timestamp": timestamp,
        "nonce": nonce,
    }


def problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    if code:
        assert body["code"] == code
    return body


# --- JS-SDK -------------------------------------------------------------------------------
def test_jssdk_config_reproduces_the_documented_example(app, client, monkeypatch):
    from miniapp_api.auth import service
    from miniapp_api.extensions import kv

    app.config["PUBLIC_BASE_URL"] = "http://mp.weixin.qq.com"
    kv.set(f"wechat:{app.config['WECHAT_APPID']}:jsapi_ticket", DOC_TICKET, 600)
    monkeypatch.setattr(service, "_nonce", lambda: DOC_NONCE)
    monkeypatch.setattr(service, "_now", lambda: DOC_TIMESTAMP)
    response = client.get(JSSDK, query_string={"url": DOC_URL + "#section"})
    assert response.status_code == 200
    assert response.get_json() == {
        "appId": app.config["WECHAT_APPID"],
        "timestamp": DOC_TIMESTAMP,
        "nonceStr": DOC_NONCE,
        "signature": DOC_SIGNATURE,
    }


def test_jssdk_config_signs_with_the_ticket_from_wechat(app, client, fake_wechat):
    url = "https://bdc.example.gov.cn/app/verify?x=1&y=中文"
    body = client.get(JSSDK, query_string={"url": url + "#/scan"}).get_json()
    ticket = next(iter(fake_wechat._tickets))
    plain = (
        f"jsapi_ticket={ticket}&noncestr={body['nonceStr']}&timestamp={body['timestamp']}&url={url}"
    )
    assert body["signature"] == sha1(plain)
    assert len(body["nonceStr"]) == 16


def test_jssdk_ticket_is_cached(client, fake_wechat):
    for _ in range(3):
        assert (
            client.get(JSSDK, query_string={"url": "https://bdc.example.gov.cn/app/"}).status_code
            == 200
        )
    assert fake_wechat.calls["/cgi-bin/ticket/getticket"] == 1
    assert fake_wechat.calls["/cgi-bin/token"] == 1


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.com/app/",
        "http://bdc.example.gov.cn/app/",
        "https://bdc.example.gov.cn:8443/app/",
        "https://bdc.example.gov.cn.evil.com/",
        "https://bdc.example.gov.cn@evil.com/",
        "//bdc.example.gov.cn/app/",
        "/app/",
        "javascript:alert(1)",
        "https://bdc.example.gov.cn/app/\nx",
    ],
    ids=[
        "other-host",
        "other-scheme",
        "other-port",
        "suffix-host",
        "userinfo",
        "scheme-relative",
        "path-only",
        "javascript",
        "newline",
    ],
)
def test_jssdk_config_only_for_our_own_pages(client, fake_wechat, url):
    body = problem(client.get(JSSDK, query_string={"url": url}), 422, "validation_failed")
    assert "url" in body["errors"]
    assert fake_wechat.calls["/cgi-bin/ticket/getticket"] == 0


def test_jssdk_config_accepts_explicit_default_port(client):
    response = client.get(JSSDK, query_string={"url": "https://BDC.example.gov.cn:443/app/"})
    assert response.status_code == 200


def test_jssdk_config_when_wechat_is_down_is_503(app, client):
    app.extensions.pop("wechat_client", None)
    app.config["WECHAT_API_BASE"] = "http://127.0.0.1:9"
    problem(
        client.get(JSSDK, query_string={"url": "https://bdc.example.gov.cn/app/"}),
        503,
        "wechat_unavailable",
    )


# --- server check (GET) -------------------------------------------------------------------
def test_server_check_answers_echostr(app, client):
    response = client.get(CALLBACK, query_string={**signed(app), "echostr": "5837397749332749313"})
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == "5837397749332749313"


def test_server_check_follows_the_documented_formula(app, client):
    # sha1 of the sorted, concatenated token, timestamp and nonce, computed independently
    token = app.config["WECHAT_TOKEN"]
    parts = sorted([token, "1409304348", "1405726142"])
    query = {
        "signature": hashlib.sha1("".join(parts).encode()).hexdigest(),  # noqa: S324
        "timestamp": "1409304348",
        "nonce": "1405726142",
        "echostr": "abc123",
    }
    assert client.get(CALLBACK, query_string=query).get_data(as_text=True) == "abc123"


@pytest.mark.parametrize("change", ["signature", "timestamp", "nonce", "missing"])
def test_server_check_with_bad_signature_is_403(app, client, change):
    query = {**signed(app), "echostr": "123"}
    if change == "missing":
        del query["signature"]
    else:
        query[change] = query[change][:-1] + ("0" if query[change][-1] != "0" else "1")
    body = problem(client.get(CALLBACK, query_string=query), 403, "wechat_signature_invalid")
    assert "123" not in body["detail"]


def test_server_check_refuses_odd_echostr(app, client):
    problem(client.get(CALLBACK, query_string={**signed(app), "echostr": "a\nb"}), 400)


# --- pushed messages (POST) ---------------------------------------------------------------
MESSAGE = (
    "<xml><ToUserName><![CDATA[gh_123]]></ToUserName>"
    "<FromUserName><![CDATA[o_demo_zhangjianguo]]></FromUserName>"
    "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType>"
    "<Event><![CDATA[subscribe]]></Event></xml>"
)


def fresh(app: Any) -> dict[str, str]:
    """Signed parameters as WeChat sends them with a push: the current time, a new nonce."""
    return signed(app, timestamp=str(int(time.time())), nonce=str(secrets.randbelow(10**9)))


def post_xml(client: Any, app: Any, body: str | bytes, **query: str) -> Any:
    return client.post(
        CALLBACK,
        query_string={**fresh(app), **query},
        data=body.encode() if isinstance(body, str) else body,
        content_type="text/xml",
    )


def test_push_is_parsed_and_answered_success(app, client, monkeypatch):
    from miniapp_api.auth import wechat_push

    seen: list[dict[str, str]] = []
    monkeypatch.setattr(wechat_push, "PUSH_HANDLERS", [seen.append])
    response = post_xml(client, app, MESSAGE)
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "success"
    assert seen == [
        {
            "ToUserName": "gh_123",
            "FromUserName": "o_demo_zhangjianguo",
            "CreateTime": "1700000000",
            "MsgType": "event",
            "Event": "subscribe",
        }
    ]


def test_push_with_bad_signature_is_403(app, client):
    response = client.post(
        CALLBACK,
        query_string={**fresh(app), "signature": "0" * 40},
        data=MESSAGE,
        content_type="text/xml",
    )
    problem(response, 403, "wechat_signature_invalid")


def test_push_handler_failure_still_answers_success(app, client, monkeypatch):
    from miniapp_api.auth import wechat_push

    def broken(message: dict[str, str]) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(wechat_push, "PUSH_HANDLERS", [broken])
    assert post_xml(client, app, MESSAGE).get_data(as_text=True) == "success"


@pytest.mark.parametrize(
    "age", [-400, 400, int(time.time() - 978307200)], ids=["future", "old", "2001"]
)
def test_push_outside_the_freshness_window_is_refused(app, client, monkeypatch, age):
    from miniapp_api.auth import wechat_push

    seen: list[dict[str, str]] = []
    monkeypatch.setattr(wechat_push, "PUSH_HANDLERS", [seen.append])
    query = signed(app, timestamp=str(int(time.time()) - age), nonce="42")
    response = client.post(CALLBACK, query_string=query, data=MESSAGE, content_type="text/xml")
    problem(response, 403, "wechat_push_stale")
    assert seen == []


def test_a_replayed_push_is_not_handled_twice(app, client, monkeypatch):
    from miniapp_api.auth import wechat_push

    seen: list[dict[str, str]] = []
    monkeypatch.setattr(wechat_push, "PUSH_HANDLERS", [seen.append])
    query = fresh(app)
    for _ in range(3):
        response = client.post(CALLBACK, query_string=query, data=MESSAGE, content_type="text/xml")
        assert response.get_data(as_text=True) == "success"  # WeChat stops retrying
    assert len(seen) == 1


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    "<xml><Content>&lol3;</Content></xml>"
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    "<xml><Content>&xxe;</Content></xml>"
)


@pytest.mark.parametrize(
    "body",
    [
        BILLION_LAUGHS,
        EXTERNAL_ENTITY,
        "<xml><a>unclosed</xml>",
        "<root><a>1</a></root>",
        '<?xml version="1.0" encoding="UTF-16"?><xml><a>1</a></xml>',
        b"\xff\xfe<\x00x\x00m\x00l\x00>\x00",
        "",
        "<xml>" + "".join(f"<f{i}>1</f{i}>" for i in range(100)) + "</xml>",
    ],
    ids=[
        "billion-laughs",
        "external-entity",
        "malformed",
        "wrong-root",
        "declared-utf16",
        "utf16-bytes",
        "empty",
        "too-many-fields",
    ],
)
def test_unsafe_or_malformed_push_is_refused(app, client, body):
    response = post_xml(client, app, body)
    problem(response, 400, "bad_request")
    assert "root:" not in response.get_data(as_text=True)


def test_oversized_push_is_413(app, client):
    app.config["WECHAT_PUSH_MAX_BYTES"] = 1024
    body = "<xml><Content>" + "a" * 2000 + "</Content></xml>"
    problem(post_xml(client, app, body), 413, "payload_too_large")


def test_push_parser_works_without_defusedxml(monkeypatch):
    from miniapp_api.auth import wechat_push

    monkeypatch.setattr(wechat_push, "_SafeET", None)
    assert wechat_push.parse_message(MESSAGE.encode())["Event"] == "subscribe"
    for body in (BILLION_LAUGHS, EXTERNAL_ENTITY):
        with pytest.raises(wechat_push.BadMessage):
            wechat_push.parse_message(body.encode())
