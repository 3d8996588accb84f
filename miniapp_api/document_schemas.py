"""Schemas shared by the features that issue documents (copies, proofs): the purpose field,
the common purposes and the download fields of a document."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields

from .domain.purposes import MAX_PURPOSE_LENGTH, PurposeError, check_purpose


class PurposeField(fields.String):
    """事由: trimmed, 1..30 characters, printable, no control characters or markup."""

    default_error_messages = {
        "required": "请填写事由",
        "null": "请填写事由",
        "invalid": "事由必须是文字",
    }

    def __init__(self, **kwargs: Any) -> None:
        metadata = {
            "description": f"事由（1–{MAX_PURPOSE_LENGTH}字）；常用事由见 /api/v1/purposes",
            "example": "子女入学",
        }
        super().__init__(required=True, metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return check_purpose(text)
        except PurposeError as exc:
            raise ValidationError(str(exc)) from exc


class DownloadLinksSchema(Schema):
    png = fields.String(metadata={"description": "PNG（可长按保存）下载链接，无需登录头"})
    pdf = fields.String(metadata={"description": "PDF 下载链接，无需登录头"})
    expires_at = fields.Integer(metadata={"description": "链接过期时间（Unix 秒）"})
    ttl_seconds = fields.Integer()


class DocumentPurposeSchema(Schema):
    label = fields.String()
    description = fields.String()
    proof_valid_days = fields.Integer(metadata={"description": "房屋证明有效天数"})
    free_text = fields.Boolean(metadata={"description": "选择后需填写具体事由"})


class DocumentFilesSchema(Schema):
    """The fields every citizen document (copy, proof) answers with: its purpose, whether it
    expired, and its files."""

    purpose = fields.String(metadata={"description": "事由"})
    expired = fields.Boolean()
    png_url = fields.String(metadata={"description": "PNG（需登录头）"})
    pdf_url = fields.String(metadata={"description": "PDF（需登录头）"})
    download_links = fields.Nested(DownloadLinksSchema, allow_none=True)
