"""Marshmallow schemas: housing proofs (有房/无房证明)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..document_schemas import DocumentFilesSchema, PurposeField
from ..inputs import InputSchema


class HousingProofRequestSchema(InputSchema):
    scope = fields.String(
        required=True,
        validate=validate.OneOf(("personal", "family"), error="查询范围只能是 personal 或 family"),
        error_messages={"required": "请选择查询范围", "null": "请选择查询范围"},
        metadata={"description": "personal 个人 | family 家庭（本人、配偶、未成年子女）"},
    )
    purpose = PurposeField()


class FamilyMemberSchema(Schema):
    relation = fields.String(metadata={"description": "配偶 / 子女"})
    name = fields.String()
    id_masked = fields.String(metadata={"description": "身份证号（脱敏）"})


class ProofApplicantSchema(Schema):
    name = fields.String()
    id_masked = fields.String()


class ProofUnitSchema(Schema):
    unit_number = fields.String()
    location = fields.String(metadata={"description": "坐落"})
    area_m2 = fields.String(metadata={"description": "面积（㎡）"})
    use = fields.String(metadata={"description": "用途"})
    certificate_number = fields.String(metadata={"description": "不动产权证书号"})
    co_ownership = fields.String(metadata={"description": "共有情况"})
    holders = fields.List(fields.String(), metadata={"description": "权利人"})


class HousingProofSchema(DocumentFilesSchema):
    id = fields.String(metadata={"description": "房屋证明 id（随机，用于路径）"})
    serial = fields.String(metadata={"description": "证明编号"})
    scope = fields.String()
    scope_label = fields.String(metadata={"description": "个人 / 家庭"})
    queried_at = fields.DateTime(metadata={"description": "查询时点"})
    issued_at = fields.DateTime(metadata={"description": "出具时间"})
    valid_until = fields.DateTime(metadata={"description": "有效期至"})
    has_property = fields.Boolean(metadata={"description": "true 有房 / false 无房"})
    result_label = fields.String(metadata={"description": "有房 / 无房"})
    result_text = fields.String()
    applicant = fields.Nested(ProofApplicantSchema)
    members = fields.List(fields.Nested(FamilyMemberSchema), metadata={"description": "家庭成员"})
    units = fields.List(fields.Nested(ProofUnitSchema), metadata={"description": "名下不动产"})
    verification_url = fields.String(allow_none=True, metadata={"description": "核验链接"})
