"""Header-free downloads through signed short-lived links (for WeChat's built-in browser)."""

from __future__ import annotations

from flask import Response

from .. import downloads
from ..extensions import limiter
from . import bp

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


@bp.get("/files/<string:signed>")
@limiter.limit("120 per minute")
@bp.doc(
    summary="通过短时链接打开文书",
    description="由加注件或房屋证明接口返回的 download_links 打开 PNG 或 PDF，无需登录头；"
    "链接绑定文书、格式和申请账号，≤10 分钟有效，每次使用记入审计日志。",
    **_LINK_DOC,
)
def open_link(signed: str) -> Response:
    response = downloads.open_link(signed)
    # Opened as a page of its own, a PNG is shown by the browser's image viewer, which styles
    # itself inline: allow that (and nothing else) for this answer, which holds no markup.
    response.headers["Content-Security-Policy"] = FILE_CSP
    return response
