"""The WeChat client against the fake WeChat server (miniapp_api.dev.fake_wechat)."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter

from miniapp_api.dev.fake_wechat import FakeWeChat
from miniapp_api.wechat import (
    MemoryCache,
    RedisCache,
    TokenCache,
    WeChatClient,
    WeChatError,
    WeChatUnavailable,
    check_server_signature,
    jssdk_signature,
)

APPID = "wxtest0123456789"
SECRET = "test-secret-0123456789abcdef"
USERS = {"o_test_zhangsan": "张三", "o_test_lisi": "李四"}
# Not the pass's REDIS_URL database: the PostgreSQL + Redis pass FLUSHes that one before every
# test, and a run beside it would wipe this test's lock mid-refresh.
REDIS_URL = "redis://127.0.0.1:6379/1"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeWeChat]:
    server = FakeWeChat(users=USERS, appid=APPID, secret=SECRET)
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _fresh_fake(fake: FakeWeChat) -> None:
    fake.reset()


def make_client(base: str, cache: TokenCache | None = None, **kwargs: Any) -> WeChatClient:
    kwargs.setdefault("timeout", (2, 2))
    kwargs.setdefault("lock_poll", 0.02)
    return WeChatClient(
        APPID, SECRET, cache or MemoryCache(), open_base=base, api_base=base, **kwargs
    )


@pytest.fixture()
def client(fake: FakeWeChat) -> Iterator[WeChatClient]:
    with make_client(fake.base_url) as c:
        yield c


# -- web authorisation ------------------------------------------------------------------


def test_authorize_url_is_exact(client: WeChatClient) -> None:
    url = client.authorize_url("https://bdc.example.gov.cn/h5/login?next=/me", "abc123XYZ")
    assert url == (
        f"{client.open_base}/connect/oauth2/authorize?appid={APPID}"
        "&redirect_uri=https%3A%2F%2Fbdc.example.gov.cn%2Fh5%2Flogin%3Fnext%3D%2Fme"
        "&response_type=code&scope=snsapi_base&state=abc123XYZ#wechat_redirect"
    )


@pytest.mark.parametrize("state", ["", "a" * 129, "ab-cd", "abc\n", "状态"])
def test_authorize_url_rejects_bad_state(client: WeChatClient, state: str) -> None:
    with pytest.raises(ValueError):
        client.authorize_url("https://bdc.example.gov.cn/cb", state)


def test_exchange_code_returns_openid(fake: FakeWeChat, client: WeChatClient) -> None:
    result = client.exchange_code(fake.issue_code("o_test_zhangsan"))
    assert result.openid == "o_test_zhangsan"
    assert result.scope == "snsapi_base"
    assert result.is_snapshotuser is False
    assert result.unionid is None
    assert result.expires_in == 7200
    assert result.access_token and result.refresh_token
    assert result.access_token not in repr(result)


def test_exchange_code_reused_raises_code_used(fake: FakeWeChat, client: WeChatClient) -> None:
    code = fake.issue_code("o_test_zhangsan")
    client.exchange_code(code)
    with pytest.raises(WeChatError) as info:
        client.exchange_code(code)
    assert info.value.errcode == 40163
    assert info.value.code == "wechat_code_used"
    assert info.value.user_message == "微信授权码已使用，请重新进入"
    assert info.value.retryable is False


def test_exchange_code_invalid_raises_code_invalid(client: WeChatClient) -> None:
    with pytest.raises(WeChatError) as info:
        client.exchange_code("no-such-code")
    assert (info.value.errcode, info.value.code) == (40029, "wechat_code_invalid")
    assert info.value.user_message == "微信授权码无效，请重新进入"


def test_exchange_code_expired_raises_code_expired(fake: FakeWeChat, client: WeChatClient) -> None:
    code = fake.issue_code("o_test_zhangsan")
    fake.advance(301)
    with pytest.raises(WeChatError) as info:
        client.exchange_code(code)
    assert (info.value.errcode, info.value.code) == (42003, "wechat_code_expired")
    assert info.value.user_message == "微信授权码已过期，请重新进入"


def test_exchange_code_is_never_retried(fake: FakeWeChat, client: WeChatClient) -> None:
    with pytest.raises(WeChatError):
        client.exchange_code("no-such-code")
    assert fake.calls["/sns/oauth2/access_token"] == 1


def test_exchange_code_flags_snapshot_user(fake: FakeWeChat, client: WeChatClient) -> None:
    result = client.exchange_code(fake.issue_code("o_test_lisi", snapshot=True))
    assert result.openid == "o_test_lisi"
    assert result.is_snapshotuser is True


def test_wrong_secret_raises_generic_wechat_error(fake: FakeWeChat) -> None:
    bad = WeChatClient(APPID, "wrong", MemoryCache(), api_base=fake.base_url)
    with bad, pytest.raises(WeChatError) as info:
        bad.exchange_code(fake.issue_code("o_test_zhangsan"))
    assert (info.value.errcode, info.value.code) == (40125, "wechat_error")
    assert not isinstance(info.value, WeChatUnavailable)


# -- network failures -----------------------------------------------------------------------


def test_timeout_raises_unavailable_without_leaking_secret() -> None:
    # A listening socket that is never served: the TCP handshake completes, no answer comes.
    silent = socket.create_server(("127.0.0.1", 0))
    try:
        base = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with make_client(base, timeout=(0.5, 0.3)) as c, pytest.raises(WeChatUnavailable) as info:
            c.exchange_code("some-code")
    finally:
        silent.close()
    err = info.value
    assert (err.code, err.retryable) == ("wechat_unavailable", True)
    assert err.user_message == "微信服务暂时不可用，请稍后再试"
    assert "Timeout" in err.errmsg
    assert SECRET not in str(err) and err.__cause__ is None and err.__suppress_context__


def test_connection_refused_raises_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with make_client(f"http://127.0.0.1:{port}") as c, pytest.raises(WeChatUnavailable):
        c.get_access_token()


class _HtmlAdapter(BaseAdapter):
    """Answers every request with an HTML page, like a proxy error page."""

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        response = requests.Response()
        response.status_code = 200
        response._content = b"<html>502 Bad Gateway</html>"
        response.request = request
        response.url = request.url or ""
        return response

    def close(self) -> None:
        pass


def test_non_json_answer_raises_unavailable() -> None:
    with requests.Session() as session:
        session.mount("http://", _HtmlAdapter())
        c = make_client("http://wechat.invalid", session=session)
        with pytest.raises(WeChatUnavailable):
            c.exchange_code("some-code")


# -- shared access_token and jsapi_ticket ------------------------------------------------------


def test_access_token_is_cached(fake: FakeWeChat, client: WeChatClient) -> None:
    first = client.get_access_token()
    assert client.get_access_token() == first
    assert fake.calls["/cgi-bin/token"] == 1


def test_access_token_refreshed_once_by_concurrent_workers(fake: FakeWeChat) -> None:
    fake.set_delay("/cgi-bin/token", 0.2)  # the refresh is in flight while others ask
    cache = MemoryCache()
    workers = [make_client(fake.base_url, cache) for _ in range(6)]
    barrier = threading.Barrier(len(workers))

    def ask(worker: WeChatClient) -> str:
        barrier.wait()
        return worker.get_access_token()

    try:
        with ThreadPoolExecutor(len(workers)) as pool:
            tokens = list(pool.map(ask, workers))
    finally:
        for worker in workers:
            worker.close()
    assert len(set(tokens)) == 1
    assert fake.calls["/cgi-bin/token"] == 1


@pytest.fixture()
def redis_caches() -> Iterator[tuple[RedisCache, RedisCache]]:
    import redis

    prefix = f"test:wechat:{uuid.uuid4().hex}:"
    first = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5, socket_timeout=2)
    try:
        first.ping()
    except redis.RedisError as exc:
        first.close()
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {type(exc).__name__}")
    second = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5, socket_timeout=2)
    try:
        yield RedisCache(first, prefix), RedisCache(second, prefix)
    finally:
        keys = list(first.scan_iter(match=f"{prefix}*"))
        if keys:
            first.delete(*keys)
        first.close()
        second.close()


def test_access_token_shared_through_redis_refreshed_once(
    fake: FakeWeChat, redis_caches: tuple[RedisCache, RedisCache]
) -> None:
    fake.set_delay("/cgi-bin/token", 0.2)
    # Two "machines": separate clients, separate Redis connections, one Redis.
    workers = [make_client(fake.base_url, cache) for cache in redis_caches * 2]
    barrier = threading.Barrier(len(workers))

    def ask(worker: WeChatClient) -> str:
        barrier.wait()
        return worker.get_access_token()

    try:
        with ThreadPoolExecutor(len(workers)) as pool:
            tokens = list(pool.map(ask, workers))
    finally:
        for worker in workers:
            worker.close()
    assert len(set(tokens)) == 1
    assert fake.calls["/cgi-bin/token"] == 1
    assert redis_caches[1].get(workers[0].access_token_key) == tokens[0]


def test_rejected_access_token_is_refreshed_and_call_retried_once(
    fake: FakeWeChat, client: WeChatClient
) -> None:
    stale = client.get_access_token()
    fake.invalidate_access_tokens()  # e.g. another system refreshed the token
    msgid = client.send_template_message("o_test_zhangsan", "tpl-1", {"first": "办理进度更新"})
    assert msgid > 0
    assert fake.calls["/cgi-bin/token"] == 2
    assert fake.calls["/cgi-bin/message/template/send"] == 2
    assert client.get_access_token() != stale


def test_rejected_access_token_retried_only_once(fake: FakeWeChat, client: WeChatClient) -> None:
    client.get_access_token()
    fake.fail_next_sends(2, errcode=40001)
    with pytest.raises(WeChatError) as info:
        client.send_template_message("o_test_zhangsan", "tpl-1", {"first": "x"})
    assert info.value.errcode == 40001
    assert fake.calls["/cgi-bin/message/template/send"] == 2
    assert fake.calls["/cgi-bin/token"] == 2


def test_jsapi_ticket_fetched_once_and_cached(fake: FakeWeChat, client: WeChatClient) -> None:
    ticket = client.get_jsapi_ticket()
    assert ticket and client.get_jsapi_ticket() == ticket
    assert fake.calls["/cgi-bin/ticket/getticket"] == 1
    assert fake.calls["/cgi-bin/token"] == 1


# -- JS-SDK and server check ---------------------------------------------------------------------


def test_jssdk_signature_matches_documented_example() -> None:
    signature = jssdk_signature(
        "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg",
        "Wm3WZYTPz0wzccnW",
        1414587457,
        "http://mp.weixin.qq.com?params=value",
    )
    assert signature == "0f9de62fce790f9a083d5c99e95740ceb90c27ed"


def test_jssdk_signature_ignores_url_fragment() -> None:
    base = "https://bdc.example.gov.cn/h5/scan?x=1"
    assert jssdk_signature("t", "n", 1, base + "#/page") == jssdk_signature("t", "n", 1, base)


def test_jssdk_config_signs_with_cached_ticket(client: WeChatClient) -> None:
    url = "https://bdc.example.gov.cn/h5/scan?from=menu#top"
    config = client.jssdk_config(url)
    assert set(config) == {"appId", "timestamp", "nonceStr", "signature"}
    assert config["appId"] == APPID
    assert isinstance(config["timestamp"], int)
    assert config["nonceStr"].isalnum() and len(config["nonceStr"]) == 16
    ticket = client.get_jsapi_ticket()
    expected = jssdk_signature(ticket, config["nonceStr"], config["timestamp"], url)
    assert config["signature"] == expected


def test_check_server_signature_accepts_known_example() -> None:
    token, timestamp, nonce = "demo-token", "1700000000", "123456789"
    parts = sorted([token, timestamp, nonce])  # "123456789" < "1700000000" < "demo-token"
    assert parts == ["123456789", "1700000000", "demo-token"]
    signature = hashlib.sha1(b"1234567891700000000demo-token").hexdigest()
    assert check_server_signature(token, timestamp, nonce, signature) is True


@pytest.mark.parametrize(
    "signature", ["", "0" * 40, "not-a-signature", "签名"], ids=["empty", "zeros", "junk", "cjk"]
)
def test_check_server_signature_rejects_wrong(signature: str) -> None:
    assert check_server_signature("demo-token", "1700000000", "123456789", signature) is False


# -- template messages --------------------------------------------------------------------------


def test_template_message_sent_and_recorded(fake: FakeWeChat, client: WeChatClient) -> None:
    bodies: list[bytes] = []
    client.session.hooks["response"].append(lambda r, *a, **k: bodies.append(r.request.body))
    data = {"first": "您的交房即交证办理进度已更新", "keyword1": "登簿", "remark": "请留意"}
    msgid = client.send_template_message(
        "o_test_zhangsan", "tpl-handover", data, url="https://bdc.example.gov.cn/h5/handover/1"
    )
    assert fake.messages == [
        {
            "msgid": msgid,
            "touser": "o_test_zhangsan",
            "template_id": "tpl-handover",
            "url": "https://bdc.example.gov.cn/h5/handover/1",
            "data": data,
            "body": {
                "touser": "o_test_zhangsan",
                "template_id": "tpl-handover",
                "url": "https://bdc.example.gov.cn/h5/handover/1",
                "data": {key: {"value": value} for key, value in data.items()},
            },
        }
    ]
    sent = bodies[-1]
    assert "交房即交证".encode() in sent  # UTF-8 JSON, not \\u escapes
    assert json.loads(sent)["data"]["keyword1"] == {"value": "登簿"}


def test_template_send_system_busy_is_retryable(fake: FakeWeChat, client: WeChatClient) -> None:
    fake.fail_next_sends(1, errcode=-1)
    with pytest.raises(WeChatError) as info:
        client.send_template_message("o_test_zhangsan", "tpl-1", {"first": "x"})
    assert (info.value.errcode, info.value.code, info.value.retryable) == (
        -1,
        "wechat_unavailable",
        True,
    )
    assert fake.messages == []
    assert client.send_template_message("o_test_zhangsan", "tpl-1", {"first": "x"}) > 0


def test_template_send_not_subscribed_is_not_retryable(
    fake: FakeWeChat, client: WeChatClient
) -> None:
    fake.fail_next_sends(1, errcode=43004)
    with pytest.raises(WeChatError) as info:
        client.send_template_message("o_test_zhangsan", "tpl-1", {"first": "x"})
    assert (info.value.errcode, info.value.retryable) == (43004, False)
    assert fake.calls["/cgi-bin/message/template/send"] == 1


# -- the fake's browser flow and the cache ----------------------------------------------------


def test_fake_authorize_page_lists_users_and_choice_redirects_with_code(
    fake: FakeWeChat, client: WeChatClient
) -> None:
    redirect = "http://127.0.0.1:8000/api/v1/auth/wechat/callback"
    url = client.authorize_url(redirect, "st4te").split("#", 1)[0]
    with requests.Session() as browser:
        page = browser.get(url, timeout=2)
        assert page.status_code == 200 and "张三" in page.text and "李四" in page.text
        choose = browser.get(
            f"{fake.base_url}/connect/oauth2/authorize/choose",
            params={"openid": "o_test_lisi", "redirect_uri": redirect, "state": "st4te"},
            allow_redirects=False,
            timeout=2,
        )
    assert choose.status_code == 302
    location = requests.utils.urlparse(choose.headers["Location"])
    params = dict(p.split("=", 1) for p in location.query.split("&"))
    assert location._replace(query="").geturl() == redirect and params["state"] == "st4te"
    assert client.exchange_code(params["code"]).openid == "o_test_lisi"


def test_fake_authorize_rejects_wrong_appid(fake: FakeWeChat) -> None:
    with make_client(fake.base_url) as c:
        c.appid = "wx_wrong_appid"
        url = c.authorize_url("https://bdc.example.gov.cn/cb", "s").split("#", 1)[0]
    with requests.Session() as browser:
        page = browser.get(url, timeout=2)
    assert page.status_code == 400 and "appid" in page.text


def test_memory_cache_add_is_set_if_absent() -> None:
    now = [0.0]
    cache = MemoryCache(clock=lambda: now[0])
    assert cache.add("lock", "a", 10) is True
    assert cache.add("lock", "b", 10) is False
    assert cache.get("lock") == "a"
    now[0] = 11
    assert cache.get("lock") is None and cache.add("lock", "c", 10) is True
