"""Marshmallow schemas of the verification API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..inputs import InputSchema
from ..labels import ENCUMBRANCE_LABELS
from .service import VERDICTS


class LiveEncumbranceSchema(Schema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(tuple(ENCUMBRANCE_LABELS)),
        metadata={"description": "mortgage | seizure | objection | advance_notice"},
    )
    label = fields.String(required=True, metadata={"description": "中文名称，如 抵押"})
    started_on = fields.String(required=True, metadata={"description": "起始日期 YYYY-MM-DD"})
    holder = fields.String(
        metadata={"description": "抵押权人或查封法院（仅机构；异议、预告登记不显示）"}
    )


class VerifiedDocumentSchema(Schema):
    """Masked fields for comparison with the paper; which keys appear depends on ``kind``."""

    kind = fields.String(
        required=True,
        metadata={
            "description": "property_certificate | registration_certificate | license_copy | "
            "housing_proof"
        },
    )
    kind_label = fields.String(required=True)
    number = fields.String(required=True, metadata={"description": "证书号或证明编号"})
    location = fields.String(metadata={"description": "坐落"})
    area_m2 = fields.String(metadata={"description": "面积（平方米，两位小数）"})
    use = fields.String(metadata={"description": "用途"})
    right_type = fields.String()
    co_ownership = fields.String(metadata={"description": "sole | joint | shares"})
    holders = fields.List(fields.String(), metadata={"description": "权利人姓名（已脱敏）"})
    rights_holder = fields.String(metadata={"description": "登记证明的权利人（如抵押权人）"})
    obligors = fields.List(fields.String(), metadata={"description": "义务人姓名（已脱敏）"})
    issued_on = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "valid | cancelled | superseded"})
    status_label = fields.String()
    status_changed_on = fields.String(allow_none=True)
    superseded_by = fields.String(allow_none=True, metadata={"description": "新证书号"})
    certificate_number = fields.String(metadata={"description": "加注件对应的证书号"})
    certificate_status = fields.String()
    purpose = fields.String(metadata={"description": "事由"})
    holder = fields.String(metadata={"description": "加注件申请人（已脱敏）"})
    applicant = fields.String(metadata={"description": "房屋证明申请人（已脱敏）"})
    maker = fields.String()
    scope = fields.String(metadata={"description": "personal | family"})
    result = fields.String(metadata={"description": "has_property | no_property"})
    result_label = fields.String()
    unit_count = fields.Integer(allow_none=True)
    units = fields.List(
        fields.Dict(),
        metadata={
            "description": "房屋证明列明的不动产：location, area_m2, use, certificate_number, "
            "holders（已脱敏）"
        },
    )
    members = fields.List(
        fields.Dict(), metadata={"description": "家庭证明的家庭成员：relation, name（已脱敏）"}
    )
    queried_at = fields.String()
    valid_until = fields.String(allow_none=True)
    validity = fields.String(metadata={"description": "valid | expired"})


class DisplayRowSchema(Schema):
    label = fields.String(required=True, metadata={"description": "中文项目名，如 坐落"})
    value = fields.String(required=True)


class VerificationAnswerSchema(Schema):
    verdict = fields.String(
        required=True,
        validate=validate.OneOf([v for v in VERDICTS if v != "malformed"]),
        metadata={"description": " | ".join(v for v in VERDICTS if v != "malformed")},
    )
    verdict_label = fields.String(
        required=True, metadata={"description": "真实有效 / 已注销 / 已换证 / 已过期 / 无法验证"}
    )
    reason = fields.String(
        required=True,
        metadata={
            "description": "valid, content_changed, cancelled, superseded, expired, "
            "showing_expired（亮证码已过期，请权利人重新亮证；不代表证书无效）, "
            "unknown_key, bad_signature, compromised_key, number_mismatch, "
            "not_found, not_yet_valid, no_match"
        },
    )
    content_changed = fields.Boolean(
        required=True,
        metadata={"description": "登记簿内容在签发后有变更（以登记簿为准）"},
    )
    document = fields.Nested(
        VerifiedDocumentSchema,
        metadata={"description": "仅在签名验证通过且找到记录时出现"},
    )
    display = fields.List(
        fields.Nested(DisplayRowSchema),
        required=True,
        metadata={
            "description": "服务器生成的展示行（与核验页面、合作机构接口和网页应用相同），"
            "仅脱敏信息；未找到文书时为空"
        },
    )
    encumbrances = fields.List(fields.Nested(LiveEncumbranceSchema), required=True)
    as_of = fields.String(required=True, metadata={"description": "答复时间 (UTC, ISO 8601)"})
    tone = fields.String(
        required=True,
        validate=validate.OneOf(("ok", "warn", "bad")),
        metadata={
            "description": "ok 绿色：真实有效且无限制；"
            "warn 琥珀色：真实但已抵押/查封等，交易前请核实；"
            "bad 红色：已注销、已换证、已过期、无法验证"
        },
    )
    icon = fields.String(required=True, metadata={"description": "✓ / ! / ✕"})
    headline = fields.String(
        required=True, metadata={"description": "结论，如 证书真实，但该房产已被查封"}
    )
    advice = fields.String(required=True, metadata={"description": "一句说明"})


class ByNumberSchema(InputSchema):
    certificate_number = fields.String(
        required=True,
        validate=validate.Length(min=1, max=60),
        metadata={"description": "证书号，如 湘(2022)汨罗市不动产权第0001234号"},
    )
    print_serial = fields.String(
        required=True,
        validate=validate.Length(min=1, max=20),
        metadata={"description": "印制编号（11 位数字）"},
    )


class ImageUploadSchema(InputSchema):
    image = fields.Raw(
        required=True,
        metadata={"type": "string", "format": "binary", "description": "JPEG 或 PNG，≤ 5 MB"},
    )
