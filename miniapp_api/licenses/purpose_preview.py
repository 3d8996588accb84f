"""GET /api/v1/purposes/preview: the exact sentence that will be printed for a purpose.

The app's form shows it live while the citizen types, so what they read is what the watermark,
the 加注 box and the proof will say (the normalising is the server's, in purposes.py).
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from ..domain.purposes import preview
from ..inputs import InputSchema
from . import bp


class PurposePreviewQuerySchema(InputSchema):
    text = fields.String(required=True, validate=validate.Length(max=200))


class PurposePreviewSchema(Schema):
    purpose = fields.String(allow_none=True, metadata={"description": "规范化后的事由"})
    sentence = fields.String(
        allow_none=True,
        metadata={"description": "将印在文书上的句子", "example": "仅供办理银行开户使用"},
    )
    error = fields.String(allow_none=True, metadata={"description": "不能使用时的原因（中文）"})


@bp.get("/purposes/preview")
@bp.arguments(PurposePreviewQuerySchema, location="query")
@bp.response(200, PurposePreviewSchema)
@bp.doc(
    summary="事由预览",
    description="按服务端规则规范化事由（去掉开头的“办理”“用于”等、结尾的“使用”），返回将印在"
    "水印、加注栏和证明上的句子；不能使用时 error 给出中文原因。",
)
def purpose_preview(args: dict[str, Any]) -> dict[str, Any]:
    return preview(args["text"])
