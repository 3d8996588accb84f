"""Per-client rate limits of the verification endpoints.

Token checks (page, API, QR images) share one bucket; typing a number and uploading a photo
are stricter (they are the ways to guess). Limits live where the limiter's storage is (Redis
when ``REDIS_URL`` is set). Clients in ``RATELIMIT_EXEMPT_NETWORKS`` are exempt;
``RATELIMIT_ENABLED=false`` switches everything off. Override the values with the config keys
or environment variables ``VERIFY_RATE_LIMIT`` / ``VERIFY_STRICT_RATE_LIMIT``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app

from ..extensions import limiter
from ..netutil import client_address, is_exempt_network

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_CHECK_LIMIT = "60 per minute;1000 per hour"
DEFAULT_STRICT_LIMIT = "10 per minute;100 per hour"


def _setting(name: str, default: str) -> str:
    return current_app.config.get(name) or os.environ.get(name) or default


def token_limit_value() -> str:
    return _setting("VERIFY_RATE_LIMIT", DEFAULT_CHECK_LIMIT)


def strict_limit_value() -> str:
    return _setting("VERIFY_STRICT_RATE_LIMIT", DEFAULT_STRICT_LIMIT)


def exempt() -> bool:
    """Trusted partner networks (RATELIMIT_EXEMPT_NETWORKS) are not limited."""
    return is_exempt_network(client_address())


def _when_enabled(decorator: Callable[[F], F]) -> Callable[[F], F]:
    """Apply a flask-limiter decorator, skipping its bookkeeping entirely when limits are off
    (``RATELIMIT_ENABLED=false``): the library evaluates its limit lists on every call even
    when disabled, which is measurable on the verification hot path."""

    def apply(view: F) -> F:
        limited = decorator(view)

        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if limiter.enabled:
                return limited(*args, **kwargs)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return apply


token_limit = _when_enabled(
    limiter.shared_limit(token_limit_value, scope="verify-token", exempt_when=exempt)
)
strict_limit = _when_enabled(limiter.limit(strict_limit_value, exempt_when=exempt))
