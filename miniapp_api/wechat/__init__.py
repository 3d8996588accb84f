"""WeChat public-account integration, independent of Flask (see docs/wechat.md)."""

from .cache import MemoryCache, RedisCache, TokenCache
from .client import (
    DEFAULT_API_BASE,
    DEFAULT_OPEN_BASE,
    DEFAULT_TIMEOUT,
    OAuthResult,
    WeChatClient,
    WeChatError,
    WeChatUnavailable,
    check_server_signature,
    jssdk_signature,
)

__all__ = [
    "DEFAULT_API_BASE",
    "DEFAULT_OPEN_BASE",
    "DEFAULT_TIMEOUT",
    "MemoryCache",
    "OAuthResult",
    "RedisCache",
    "TokenCache",
    "WeChatClient",
    "WeChatError",
    "WeChatUnavailable",
    "check_server_signature",
    "jssdk_signature",
]
