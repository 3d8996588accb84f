"""Client address handling behind a configured number of reverse proxies."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

from flask import current_app, request


def client_address() -> str:
    """The client's address: ProxyFix (PROXY_COUNT) has already rewritten remote_addr."""
    return request.remote_addr or "0.0.0.0"  # noqa: S104 (a placeholder, not a bind)


def client_hash(address: str | None = None) -> str:
    """A keyed hash of the client address, for audit records (never the address itself)."""
    key = current_app.config["SECRET_KEY"].encode()
    value = (address or client_address()).encode()
    return hmac.new(key, b"client:" + value, hashlib.sha256).hexdigest()[:32]


def is_exempt_network(address: str) -> bool:
    """True when the address is inside a configured trusted partner network."""
    networks = current_app.config.get("RATELIMIT_EXEMPT_NETWORKS") or []
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(n, strict=False) for n in networks)
