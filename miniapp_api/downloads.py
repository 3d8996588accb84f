"""Serving rendered documents: signed short-lived download links, ETags and a render cache.

Why links: a page inside WeChat's browser cannot send an Authorization header when it opens a
file, and blob: downloads do nothing there. So every annotated copy and housing proof also
answers with links that work without a header:

    {PUBLIC_BASE_URL}/api/v1/files/{signed}

``signed`` = base64url(JSON [version, kind, public id, format, account id, expiry]) "." base64url
(HMAC-SHA256 truncated to 128 bits) under a key derived from SECRET_KEY for this purpose only.
A link is bound to one document, one format and the account that asked for it, lives
``DOWNLOAD_LINK_TTL`` seconds (default 300, never more than 600) and every use is audited.
An altered or expired link is a 403 problem.

Rendered bytes: documents are immutable once issued, so the ETag is a hash of kind, public id,
format and the renderer version, and a small bounded in-process LRU keeps recent renders.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Response, current_app, g, request

from . import kinds, unit_of_work
from .database import db
from .document_schemas import DownloadLinksSchema
from .domain import audit
from .errors import Problem
from .models import WechatAccount
from .rendering import get_fonts

LINK_VERSION = 1
DEFAULT_LINK_TTL = 300
MAX_LINK_TTL = 600
FORMATS = {"png": "image/png", "pdf": "application/pdf"}
KINDS = ("license_copy", "housing_proof", "license_view")
# license_view: 亮证, the holder's e-license shown as a picture (licenses/showing.py)
_KIND_CODES = {"license_copy": "c", "housing_proof": "p", "license_view": "v"}
_CODE_KINDS = {code: kind for kind, code in _KIND_CODES.items()}
MAC_BYTES = 16

# OpenAPI description of the endpoints that answer a rendered document.
FILE_RESPONSES_DOC: dict[str, Any] = {
    "responses": {
        "200": {
            "description": "文书文件（inline，中文文件名见 Content-Disposition 的 filename*）",
            "content": {
                "image/png": {"schema": {"type": "string", "format": "binary"}},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            },
        },
        "304": {"description": "If-None-Match 与 ETag 相同：文书未变化"},
        "404": {"description": "不存在或不属于本人"},
    }
}
# Issuing copies and proofs is limited per WeChat account (a citizen, not an address).
ISSUE_LIMIT = "30 per minute"


def account_key() -> str:
    return f"account:{g.account.id}"


# The (limit, key) of the endpoints that issue a copy or a proof: `citizen_route(limit=...)`.
ISSUE_RATE = (ISSUE_LIMIT, account_key)


# --- signed links ----------------------------------------------------------------------------
@dataclass(frozen=True)
class DownloadLink:
    kind: str
    public_id: str
    fmt: str
    account_id: int
    expires_at: int  # Unix seconds


def link_ttl() -> int:
    configured = int(current_app.config.get("DOWNLOAD_LINK_TTL", DEFAULT_LINK_TTL))
    return max(1, min(configured, MAX_LINK_TTL))


def _key() -> bytes:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"bdc:download-link:v1", hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(body: str) -> bytes:
    return hmac.new(_key(), body.encode("ascii"), hashlib.sha256).digest()[:MAC_BYTES]


def sign_link(
    kind: str, public_id: str, fmt: str, account_id: int, *, now: float | None = None
) -> tuple[str, int]:
    """The signed path segment and its expiry (Unix seconds)."""
    if kind not in _KIND_CODES or fmt not in FORMATS:
        raise ValueError("unknown document kind or format")
    expires = int(now if now is not None else time.time()) + link_ttl()
    payload = [LINK_VERSION, _KIND_CODES[kind], public_id, fmt, int(account_id), expires]
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    return f"{body}.{_b64(_mac(body))}", expires


def link_url(signed: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/api/v1/files/{signed}"


def read_link(signed: str, *, now: float | None = None) -> DownloadLink:
    """Check a signed link; a 403 problem when altered, malformed or expired."""
    invalid = Problem(403, "download_link_invalid", "下载链接无效，请返回重新获取")
    body, _, mac = signed.partition(".")
    if not body or not mac or len(signed) > 400:
        raise invalid
    try:
        given = _unb64(mac)
    except (binascii.Error, ValueError) as exc:
        raise invalid from exc
    if not hmac.compare_digest(given, _mac(body)):
        raise invalid
    try:
        version, code, public_id, fmt, account_id, expires = json.loads(_unb64(body))
    except (binascii.Error, ValueError, TypeError) as exc:  # cannot happen with a good MAC
        raise invalid from exc
    if version != LINK_VERSION or code not in _CODE_KINDS or fmt not in FORMATS:
        raise invalid
    if (now if now is not None else time.time()) >= expires:
        raise Problem(403, "download_link_expired", "下载链接已过期，请返回重新获取")
    return DownloadLink(_CODE_KINDS[code], str(public_id), fmt, int(account_id), int(expires))


def links_for(kind: str, public_id: str, account_id: int) -> dict[str, Any]:
    """``{png, pdf, expires_at}``: header-free links for one document."""
    links: dict[str, Any] = {}
    expires = 0
    for fmt in FORMATS:
        signed, expires = sign_link(kind, public_id, fmt, account_id)
        links[fmt] = link_url(signed)
    links["expires_at"] = expires
    links["ttl_seconds"] = link_ttl()
    return links


def issue_links(kind: str, public_id: str, account_id: int) -> dict[str, Any]:
    """:func:`links_for`, audited as ``download_link.issue``."""
    audit.record("download_link.issue", object_type=kind, object_id=public_id)
    return links_for(kind, public_id, account_id)


# --- renderer version, ETag, cache -----------------------------------------------------------
@lru_cache(maxsize=1)
def renderer_version() -> str:
    """Hash of the renderer's source and the fonts it found: changes when output can change."""
    digest = hashlib.sha256()
    folder = Path(__file__).resolve().parent / "rendering"
    for path in sorted(folder.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    try:
        fonts = get_fonts()
        for face in (fonts.regular, fonts.bold):
            digest.update(f"{face.path}#{face.index}#{face.name}".encode())
    except Exception:  # noqa: S110 - no font: rendering will report it; the hash still works
        pass
    return digest.hexdigest()[:16]


def etag_for(kind: str, public_id: str, fmt: str) -> str:
    raw = f"{kind}:{public_id}:{fmt}:{renderer_version()}".encode()
    return hashlib.sha256(raw).hexdigest()[:32]


# Per worker: 64 documents (a PNG is ~90 KB, a PDF ~45 KB: ~4.5 MB in practice), and never more
# than 8 MiB whatever their size (docs/performance.md, "Memory").
RENDER_CACHE_ENTRIES = 64
RENDER_CACHE_BYTES = 8 * 1024 * 1024


class RenderCache:
    """A small thread-safe LRU of rendered bytes, bounded by entries and total size."""

    def __init__(
        self, max_entries: int = RENDER_CACHE_ENTRIES, max_bytes: int = RENDER_CACHE_BYTES
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> bytes | None:
        with self._lock:
            data = self._items.get(key)
            if data is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return data

    def put(self, key: str, data: bytes) -> None:
        if len(data) > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._size -= len(old)
            self._items[key] = data
            self._size += len(data)
            while len(self._items) > self.max_entries or self._size > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._size -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def size(self) -> int:
        return self._size


render_cache = RenderCache()


# --- the file response -----------------------------------------------------------------------
def _safe(char: str) -> str:
    return char if char.isascii() and (char.isalnum() or char in "-_.") else "_"


def content_disposition(filename: str, fallback: str) -> str:
    """``inline`` with an ASCII fallback name and the real (Chinese) name per RFC 5987."""
    ascii_name = "".join(
        c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in fallback
    )
    return f"inline; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _not_modified(etag: str) -> bool:
    return etag in request.if_none_match or request.if_none_match.star_tag


def file_response(
    *,
    kind: str,
    public_id: str,
    fmt: str,
    filename: str,
    fallback_filename: str,
    render: Callable[[], bytes],
    via: str,
    actor: tuple[str, int] | None = None,
) -> Response:
    """Answer one document download: 304 on a matching ETag, else cached or fresh bytes.

    Writes the ``document.download`` audit event and commits it (the download is the unit of
    work). The caller has already checked that the requester may see the document.
    """
    etag = etag_for(kind, public_id, fmt)
    cache_state = "not_modified"
    body: bytes | None = None
    if not _not_modified(etag):
        key = f"{etag}"
        body = render_cache.get(key)
        cache_state = "hit"
        if body is None:
            body = render()
            render_cache.put(key, body)
            cache_state = "miss"
    actor_kind, actor_id = actor if actor else (None, None)
    audit.record(
        "document.download",
        object_type=kind,
        object_id=public_id,
        actor_kind=actor_kind,
        actor_id=actor_id,
        result="ok",
        detail={"format": fmt, "via": via, "cache": cache_state},
    )
    unit_of_work.done()
    headers = {
        "ETag": f'"{etag}"',
        # Private and revalidated each time: every open is authorised and audited, and a
        # matching ETag makes that a 304 without rendering.
        "Cache-Control": "private, no-cache",
        "Content-Disposition": content_disposition(filename, fallback_filename),
        "X-Render-Cache": cache_state,
    }
    if body is None:
        return Response(status=304, headers=headers)
    return Response(body, status=200, mimetype=FORMATS[fmt], headers=headers)


def document_file(
    kind: kinds.DocumentKind,
    record: Any,
    fmt: str,
    *,
    via: str = "header",
    actor: tuple[str, int] | None = None,
) -> Response:
    """:func:`file_response` for one record of a printable document kind."""
    return file_response(
        kind=kind.name,
        public_id=record.public_id,
        fmt=fmt,
        filename=kind.filename(record, fmt),
        fallback_filename=kind.filename(record, fmt, ascii_only=True),
        render=lambda: kind.render(record, fmt),
        via=via,
        actor=actor,
    )


def _refused_link(kind: str, public_id: str, account_id: int | None, reason: str) -> Problem:
    return audit.refuse(
        Problem(403, "download_link_invalid", "下载链接无效，请返回重新获取"),
        "document.download",
        object_type=kind,
        object_id=public_id[:64],
        actor=("citizen", account_id) if account_id is not None else audit.PUBLIC,
        reason=reason,
        detail={"via": "link"},
    )


def open_link(signed: str) -> Response:
    """Serve a header-free link: check its signature and expiry, load the document through
    its kind and check that it belongs to the account the link was made for."""
    try:
        link = read_link(signed)
    except Problem as problem:
        raise audit.refuse(
            problem,
            "document.download",
            object_type="download_link",
            reason=problem.code,
            detail={"via": "link"},
        ) from None
    account = db.session.get(WechatAccount, link.account_id)
    person_id = account.person_id if account is not None else None
    kind = kinds.get(link.kind)
    record = kind.load(link.public_id) if kind is not None and kind.printable else None
    if kind is None or record is None or not kind.owned_by(record, person_id):
        raise _refused_link(link.kind, link.public_id, link.account_id, "not_owner")
    return document_file(kind, record, link.fmt, via="link", actor=("citizen", link.account_id))


def add_document_routes(
    bp: Any,
    guard: Callable[[Callable[..., Any]], Callable[..., Any]],
    path: str,
    kind: kinds.DocumentKind,
    load: Callable[..., Any],
    *,
    title: str,
    links_description: str,
) -> None:
    """Register the download-links, PNG and PDF endpoints of one citizen document kind whose
    JSON detail is at ``path``; ``load(**path_args)`` answers the citizen's own record (or
    raises the 404 of someone else's). The routes of copies and proofs are made here once."""

    def links(**path_args: Any) -> dict[str, Any]:
        record = load(**path_args)
        return issue_links(kind.name, record.public_id, g.account.id)

    links.__name__ = f"{kind.name}_links"
    documented = bp.doc(summary=f"获取{title}下载链接", description=links_description)(links)
    documented = bp.alt_response(404, description="不存在或不属于本人")(documented)
    bp.post(path + "/download-links")(guard(bp.response(200, DownloadLinksSchema)(documented)))
    for fmt in FORMATS:
        doc = bp.doc(summary=f"{title} {fmt.upper()}", **FILE_RESPONSES_DOC)
        bp.get(f"{path}.{fmt}")(guard(doc(_file_view(kind, load, fmt))))


def _file_view(kind: kinds.DocumentKind, load: Callable[..., Any], fmt: str) -> Any:
    def view(**path_args: Any) -> Response:
        return document_file(kind, load(**path_args), fmt)

    view.__name__ = f"{kind.name}_{fmt}"
    return view
