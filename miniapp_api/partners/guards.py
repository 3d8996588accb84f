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


def partner_route(
    bp: Any,
    method: str,
    path: str,
    schema: Any = None,
    *,
    status: int = 200,
    description: str | None = None,
    content_type: str | None = None,
    arguments: Any = None,
    query: Any = None,
    form: Any = None,
    errors: dict[int, str] | None = None,
    edge: Callable[[Callable[..., Any]], Callable[..., Any]] | None = None,
    **doc: Any,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The decorator stack of a partner endpoint, composed once, outermost first:
    ``bp.<method>(path)``, ``edge`` if given, the request schema
    (``arguments`` of a JSON body, ``query`` of the query string or ``form`` of a form), the
    response (``schema`` or ``description``/``content_type``), the documented error answers (in
    the order given), ``bp.doc(security=API_KEY, **doc)``, then
    `partner_required` unless an ``edge`` is given, and `partner_limit` innermost.

    ``edge`` authenticates the partner itself before the arguments are read (applications'
    ``partner_post``); without it the key is checked after the arguments are read, as
    before."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        view = partner_limit(view)
        if edge is None:
            view = partner_required(view)
        view = bp.doc(security=API_KEY, **doc)(view)
        for code, text in reversed(list((errors or {}).items())):
            view = bp.alt_response(code, description=text)(view)
        answer = {"description": description, "content_type": content_type}
        view = bp.response(status, schema, **{k: v for k, v in answer.items() if v})(view)
        for request_schema, location in ((arguments, "json"), (query, "query"), (form, "form")):
            if request_schema is not None:
                view = bp.arguments(request_schema, location=location)(view)
        if edge is not None:
            view = edge(view)
        return getattr(bp, method)(path)(view)

    return decorate
