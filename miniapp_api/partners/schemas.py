"""Request and response schemas of the partner API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..handover.schemas import ProjectSchema
from ..inputs import InputSchema
from ..verification.schemas import ByNumberSchema, VerificationAnswerSchema
from .service import MAX_BATCH


class TokenBatchSchema(InputSchema):
    tokens = fields.List(
        fields.String(validate=validate.Length(min=1, max=2048)),
        required=True,
        validate=validate.Length(min=1, max=MAX_BATCH),
        metadata={"description": f"1–{MAX_BATCH} 个核验令牌或完整的 /v/ 链接"},
    )


class NumberBatchSchema(InputSchema):
    items = fields.List(
        fields.Nested(ByNumberSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_BATCH),
    )


class BatchResultSchema(VerificationAnswerSchema):
    index = fields.Integer(required=True, metadata={"description": "在请求中的序号（从 0 开始）"})
    verdict = fields.String(
        required=True,
        metadata={"description": "同单个核验；无法解析的令牌为 malformed"},
    )


class BatchAnswerSchema(Schema):
    results = fields.List(fields.Nested(BatchResultSchema), required=True)


class PartnerProjectListSchema(Schema):
    items = fields.List(fields.Nested(ProjectSchema), required=True)


class PageQuerySchema(InputSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))


class PartnerBlockerSchema(Schema):
    kind = fields.String(required=True)
    label = fields.String(allow_none=True)
    authority = fields.String(allow_none=True)


class PartnerCaseSchema(Schema):
    id = fields.Integer(required=True)
    building = fields.String(allow_none=True)
    room = fields.String(allow_none=True)
    unit_number = fields.String(required=True)
    contract_number = fields.String(required=True, metadata={"description": "已脱敏"})
    buyer_name = fields.String(required=True, metadata={"description": "已脱敏"})
    stage = fields.String(required=True)
    stage_label = fields.String(required=True)
    next_stage = fields.String(allow_none=True)
    open_blockers = fields.List(fields.Nested(PartnerBlockerSchema), required=True)
    updated_at = fields.DateTime(required=True)


class PartnerCasePageSchema(Schema):
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
    items = fields.List(fields.Nested(PartnerCaseSchema), required=True)
