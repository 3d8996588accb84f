"""Header-free downloads through signed short-lived links (for WeChat's built-in browser)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response

from .. import downloads
from ..domain import audit
from ..errors import Problem
from ..extensions import db, limiter
from ..models import WechatAccount
from . import bp, service

FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'"

_LINK_DOC = {
    "responses": {
        "200": {
            "description": "PNG（可长按保存）或 PDF，inline，中文文件名（RFC 5987 filename*）",
            "content": {
                "image/png": {"schema": {"type": "string", "format": "binary"}},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            },
        },
        "304": {"description": "If-None-Match 与 ETag 相同"},
        "403": {"description": "链接无效、被篡改或已过期（download_link_invalid / _expired）"},
    }
}


def _refuse(signed_kind: str, public_id: str, account_id: int | None, reason: str) -> Problem:
    audit.record(
        "document.download",
        object_type=signed_kind,
        object_id=public_id[:64],
        actor_kind="citizen" if account_id is not None else "public",
        actor_id=account_id,
        result="refused",
        reason=reason,
        detail={"via": "link"},
    )
    db.session.commit()
    return Problem(403, "download_link_invalid", "下载链接无效，请返回重新获取")


@bp.get("/files/<string:signed>")
@limiter.limit("120 per minute")
@bp.doc(
    summary="通过短时链接打开文书",
    description="由加注件或房屋证明接口返回的 download_links 打开 PNG 或 PDF，无需登录头；"
    "链接绑定文书、格式和申请账号，≤10 分钟有效，每次使用记入审计日志。",
    **_LINK_DOC,
)
def open_link(signed: str) -> Response:
    try:
        link = downloads.read_link(signed)
    except Problem as problem:
        audit.record(
            "document.download",
            object_type="download_link",
            result="refused",
            reason=problem.code,
            detail={"via": "link"},
        )
        db.session.commit()
        raise
    account = db.session.get(WechatAccount, link.account_id)
    person_id = account.person_id if account is not None else None
    render: Callable[[], bytes]
    if link.kind == "license_copy":
        copy = service.copy_by_public_id(link.public_id)
        if copy is None or person_id is None or copy.person_id != person_id:
            raise _refuse(link.kind, link.public_id, link.account_id, "not_owner")
        filename = service.copy_filename(copy, link.fmt)
        fallback = service.copy_filename(copy, link.fmt, ascii_only=True)

        def render() -> bytes:
            return service.render_copy(copy, link.fmt)

    elif link.kind == "license_view":
        from . import showing

        found = showing.license_for_view(link.public_id, person_id)
        if found is None:
            raise _refuse(link.kind, link.public_id, link.account_id, "not_owner")
        lic, minute = found
        filename = f"亮证_{lic.certificate.number}.png"
        fallback = f"license-view-{lic.id}.png"

        def render() -> bytes:
            return showing.render_view(lic, minute)

    else:
        from ..proofs import service as proofs

        proof = proofs.proof_by_public_id(link.public_id)
        if proof is None or person_id is None or proof.person_id != person_id:
            raise _refuse(link.kind, link.public_id, link.account_id, "not_owner")
        filename = proofs.proof_filename(proof, link.fmt)
        fallback = proofs.proof_filename(proof, link.fmt, ascii_only=True)

        def render() -> bytes:
            return proofs.render_proof(proof, link.fmt)

    response = downloads.file_response(
        kind=link.kind,
        public_id=link.public_id,
        fmt=link.fmt,
        filename=filename,
        fallback_filename=fallback,
        render=render,
        via="link",
        actor=("citizen", link.account_id),
    )
    # Opened as a page of its own, a PNG is shown by the browser's image viewer, which styles
    # itself inline: allow that (and nothing else) for this answer, which holds no markup.
    response.headers["Content-Security-Policy"] = FILE_CSP
    return response
