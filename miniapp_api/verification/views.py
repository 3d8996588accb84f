"""Certificate and proof verification by QR, number or photo. — endpoints."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Response

from ..errors import Problem
from . import bp, service
from .imaging import find_verification_text
from .limits import strict_limit, token_limit
from .schemas import ByNumberSchema, ImageUploadSchema, VerificationAnswerSchema

_ANSWER_DOC = {
    "description": "核验结论：verdict 为 authentic / cancelled / superseded / expired / forged / "
    "unknown_document；document 仅在签名验证通过时出现，且只含脱敏信息。",
}


def _json(answer: service.Answer) -> Response:
    # The hot path: the body has the VerificationAnswerSchema shape (tests check it) and is
    # serialised directly rather than dumped through marshmallow.
    return Response(
        json.dumps(answer.to_json(), ensure_ascii=False, separators=(",", ":")),
        status=200,
        content_type="application/json; charset=utf-8",
    )


def answer(channel: str, check: Callable[..., service.Answer], *args: Any) -> Response:
    """Run the check and write its audit row in one transaction; answer (400 problem for a
    malformed token)."""
    result = service.run_check(channel, check, *args)
    if result.verdict == "malformed":
        raise Problem(400, "malformed_token", "二维码链接无效或不完整，请重新扫描纸质件上的二维码")
    return _json(result)


@bp.get("/verify/<string:token>")
@bp.response(200, VerificationAnswerSchema, **_ANSWER_DOC)
@bp.alt_response(400, description="不是有效的核验令牌 (malformed)")
@bp.alt_response(429, description="请求过于频繁")
@token_limit
def verify_token(token: str) -> Response:
    """核验二维码令牌

    Verify the token of a QR link (`/v/{TOKEN}`; either case). Every decodable token answers
    200 with a verdict; the live status (cancellation, encumbrances) is read at request time.
    """
    return answer("api", service.check_token, token)


@bp.post("/verify/by-number")
@bp.arguments(ByNumberSchema)
@bp.response(200, VerificationAnswerSchema, **_ANSWER_DOC)
@bp.alt_response(429, description="请求过于频繁")
@strict_limit
def verify_by_number(data: dict[str, str]) -> Response:
    """按证书号和印制编号核验

    For someone typing from the paper. Both fields must match the same certificate; a miss
    answers `unknown_document` / `no_match` without saying which field was wrong.
    """
    return answer(
        "number", service.check_by_number, data["certificate_number"], data["print_serial"]
    )


@bp.post("/verify/image")
@bp.arguments(ImageUploadSchema, location="files")
@bp.response(200, VerificationAnswerSchema, **_ANSWER_DOC)
@bp.alt_response(413, description="图片超过 5 MB")
@bp.alt_response(415, description="不是 JPEG 或 PNG")
@bp.alt_response(422, description="照片中没有二维码 (no_qr_found)、不是核验码或图片损坏")
@bp.alt_response(429, description="请求过于频繁")
@strict_limit
def verify_image(files: dict) -> Response:
    """上传照片核验

    Multipart field `image` (JPEG or PNG, ≤ 5 MB): the server finds and reads the QR in a
    photo or scan and answers as for the token.
    """
    upload = files["image"]
    data = upload.stream.read(5 * 1024 * 1024 + 1)
    text = find_verification_text(data)
    return answer("image", service.check_token, text)
