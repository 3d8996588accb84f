"""Who is asking, for the partner API (`X-API-Key`): the interface other features' partner
endpoints use (applications, utilities), like ``auth.guards`` for citizens and staff."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g, request

from ..extensions import limiter
from ..models import Partner
from . import service


def authenticate_partner() -> Partner:
    """The request edge: the partner of the `X-API-Key` header (401 otherwise), on ``g``."""
    partner = service.authenticate(request.headers.get("X-API-Key"))
    g.partner = partner  # who is asking, for the view and the audit
    g.actor = service.actor_of(partner)
    return partner


API_KEY = [{"PartnerApiKey": []}]


def partner_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        authenticate_partner()
        return view(*args, **kwargs)

    return wrapper


def _partner_key() -> str:
    partner = g.get("partner")
    return f"partner:{partner.id}" if partner is not None else request.remote_addr or "-"


# Limits count per partner (not per address): a bank's servers may sit behind one NAT.
partner_limit = limiter.limit("120 per minute", key_func=_partner_key)
